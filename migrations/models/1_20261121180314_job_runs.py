"""Add job_runs: one row per (job, period) so a scheduled job never runs twice for one period."""
from tortoise import BaseDBAsyncClient

from core.db.migrate import for_dialect

RUN_IN_TRANSACTION = True

UPGRADE = {
    "sqlite": """
CREATE TABLE IF NOT EXISTS "job_runs" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "job" VARCHAR(64) NOT NULL,
    "period_key" VARCHAR(32) NOT NULL,
    "started_at" TIMESTAMP NOT NULL,
    "finished_at" TIMESTAMP,
    CONSTRAINT "uid_job_runs_job_0ea8fa" UNIQUE ("job", "period_key")
) /* One run of a scheduled job for one period (e.g. "daily_k" for "2025-01-31"). */;
""",
    "postgres": """
CREATE TABLE IF NOT EXISTS "job_runs" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "job" VARCHAR(64) NOT NULL,
    "period_key" VARCHAR(32) NOT NULL,
    "started_at" TIMESTAMPTZ NOT NULL,
    "finished_at" TIMESTAMPTZ,
    CONSTRAINT "uid_job_runs_job_0ea8fa" UNIQUE ("job", "period_key")
);
COMMENT ON TABLE "job_runs" IS 'One run of a scheduled job for one period (e.g. "daily_k" for "2025-01-31").';
""",
}

DOWNGRADE = {
    "sqlite": """
DROP TABLE IF EXISTS "job_runs";
""",
    "postgres": """
DROP TABLE IF EXISTS "job_runs";
""",
}


async def upgrade(db: BaseDBAsyncClient) -> str:
    return for_dialect(db, UPGRADE)


async def downgrade(db: BaseDBAsyncClient) -> str:
    return for_dialect(db, DOWNGRADE)


MODELS_STATE = (
    "eJztXX1v2zYe/iqE/1kKZEHipG2WOxzgJG7PW2oHibvbbR40WqJtXmRRE+mk3tbvfiQl2X"
    "qhZEnxq0agaGuJDyU9pKjfO/9sTImFbHrSmlmY3ZFx4wr82XDgFPH/pM4dgwZ03eUZcYDB"
    "oS0bQ9HKsINmQ8o8aDJ+YgRtivghC1HTwy7DxOFHnZlti4PE5A2xM14emjn49xkyGBkjNk"
    "EeP/HLr/wwdiz0BdHwp/tkjDCyrdj9YktcWx432NyVxzoO+yAbiqsNDZPYs6mzbOzO2YQ4"
    "i9bYYeLoGDnIgwyJ7pk3E7cv7i541PCJ/DtdNvFvMYKx0AjObBZ53KGxPNYwjG6vbzy2+4"
    "bRKEGQSRxBLr9VKp9+LG7h2+bZxfuLy/N3F5e8ibzNxZH3X/1LL4nxgZKebr/xVZ6HDPot"
    "JMdLUvkoEs9gyEZjD04NFcfXeJxJsxK+mvWQ4wjtAakL1sMmS9qXU217vH/XbJ6fv2+enr"
    "+7fHvx/v3by9PFAKRP5Y3EdeejGAzegPA3x3+nwtGJjYa4z9QQ3EyglzkAASLBOn+YAqyn"
    "JvuuaZ/CL4aNnDGb8J/vLnIY/bH1cPPv1sPRu4s3cVq7wZmmPBUnmEGPLzw+SSVYTsC2R3"
    "WjsRWiz5sFiD5vZhItTimJVq0nK2lWriKHT/L6Z7OFGMT+hzpO8fePva6a4ggkQbCFTQb+"
    "AjamRZbrakT/czRz5IIFhjNsM+zQE3HZf21qAHIIFxSJnqeU/m5HiT761PopOQY3d71rSR"
    "mhbOzJXmQH14kBMT0kKDMgS4/JLT/D8BSpxyWOTA5NAD0J/3OIKzt/QKvn2PPgW58zNP3O"
    "p/Zjv/XpPjY+t61+W5xpyqPzxNGjd4kxW3QC/tPp/xuIn+DnXredHMZFu/7PDXFPcMaI4Z"
    "AXA1oRWS88GrL2VUipo6eISCUODKH59AI9y0idIU2S1TZ9atqcJo9AB47lmAlyxW0GwvsN"
    "cec9z5KCdEqyX57MFe1N3swgoh0tJNw3+hMEyIwNyZcr8OJhxhB/n9GIeAhwmR5Q5FjH4A"
    "WzCYCArzfIm2KHryrYBKaNkcOAvBjA1kkjMXXW3LVC2fiFc0k5zkDPyJdL6Wy4fLpftTKy"
    "Q2XEH0N/LpYUHRTQ9QgQuyU8JkBcnBYQIC5OMwUIcSr+vaLz6ZDYZXheImqob6xfDKbYKq"
    "VohO1rSO5lAW4vM6m9TDLrv+llFbk4aosqxhR6T4htR9E4e1eA6rOkwLTkWpxK2CWmZOao"
    "ZFpk4im0M0wTC1BSnPVRJwH6AGd2Dr+37ZvOp9bd0fnl8Zk/nbmkihlKrtFxgl0Pm4qJnM"
    "vvAvNqevfM9rZ2dimDbKZQk8U60XZmU8lvh98DdHxG42vyAr3F9cLlkq7gqBzFjft297bT"
    "/XgFAvzAeWx3+1dCcGYDp8dPXwHCzw2c+9ZDv9O6u/uv8aFzd9e+5RDoMQxte86Zt21kDZ"
    "zwTPj7ptW9afuHTEGVf/Txh879vThGn7DrSlyr4+Mgli3aP913HsQB9MXFHrKSYv9uFjWu"
    "kNJyxtYlotJM2LPXbNPWKZ8tw7c4lac5Aqwf2823bwvQzVtl8i3PxQlHX8wJdMaokgKlBN"
    "eP+LNmETmUt8peSJopWdRfH0t+vpeg3YhHp4fy9YbP/Nn5xKwiI6WwWlZawfYIleU4QOhZ"
    "vIpXw5x5HnLMeZl1OYmr4ZK8fnWVMTR1mULizw5kiEAqxS/s1exdj6FW+7X+fn6tmNosLO"
    "rlhzwCW8N479nSdSDDG3KSO77QfKr0TkdxeoT3eYSjvk6lPpj5PVQgt/dZ3HsXZmSNjHiP"
    "yzGsQGqGA4ZT0RXqKZ1m+wPxEB47P6B5yqabIDeIkfgku2uHvR0Y11/DSRUeXS6nHnxZhC"
    "2o3mZpYLORr7bctB5vWrftRubUXgPTj4nuakq14rVWU72bgKH27zPM5o8OdOmEsIYiaijR"
    "4jgvdAjJtgYNGheMH/KvAMgIQCDaMjSef0OBP0kBNE3hNwTEC1pECAWQ8SNTMuXzOB08tK"
    "Z+B87A+c1FHibWbwBTMOBSDbbngwY4Ig4C/Az43L8BFpwfy6CkIaS8Fe9zLofgjbjCQCze"
    "HuRtBMziM8QiLw54gcycvMmOTQrvWhoVEu+Lf0c+/U/IEfKXjlbaZbTSckCK2nKWiC16Eu"
    "XkLelH3I8Qj8U8L6mfRHE1tDjUSUHxPyAlDc5LkA4sWWV2thAfMqwyheZSHIVpw34uwyIa"
    "WXzgoSoRI5fkBFLznMtzKBuV1LLjqBqlJtbIhFFDgnMsGFEh/7U6daSrw+K4sDodf3/33W"
    "pxqCzvudEiiE1q+Sp8Q2W1SDQ5zjVbhLFOgU2goN2i5YAQubAmeAiaE2T5OUnCPNC674An"
    "ND8WVgAIXCjMBUcWmpI3ISZtuFhXx9JyYXrIQo6I5KTSfCFMFM9iWgETuxPkMfSFCWuFOC"
    "77o4hDGICOxXul1J14UDz9kHdpAUZ4Q0wHjkdevqEAWwBS/ocSE4u3AAjt+B+yL36KXw2C"
    "z587t4ASgBl/KEwZjSZwjbBHGaDwGWUZQV5j0hCXLmHTmM2wdSIwVWSr1aaNSLarvJL462"
    "IXqa5+2oqv5kUVOPno+TaOcFqWsXJEMTXMY1l/uIqfG1I6lyUB26JJibpkS6ksa7Yo8cdG"
    "pUKRFwBdjSDBbTreO/LhSVPc51+dzAihKKwO8W15Frr2T/2YcS5VdmBhoLvrdT+GzZO1CO"
    "LM88+4McEqf2j2zI5iaje515/IiakhZK00w9eE2Ag6GWLHEpXgeEjIxkw6iyPbndrXvd5d"
    "bGpfd5Jz9/On6zb/OCZsPgqTxOElbIlCTM+o5PRutG76nR/bV8BHD5wOn4N3ndsrgJ1naG"
    "Nr4Nx2HlvXMpvKwlTcYaXsqTV/R03ISfWgKrc5932I4fQbUeKNEMyF9uIKpEehmvcSvNuQ"
    "MoMr4hVDJRVwHTG5zw5JOWDI84hXTk2Iouogwm4hXVEnFWSzX9+kAvLiZOSmZrqZohAdIr"
    "vawST5WoPv4zNFh2iuK+r0iE6rst6OSBSYiJPgd6jQVq4D6IcfHpANM+q0BlzfB93UiG+V"
    "9x6jV/JUwuN5mDxFPHGvpaqeAddfN+lp/J4MH2ZOQ+FgDM4c5/kV/0eGhjdzCroTew4CvH"
    "UQjSycfTOu3QPeCRiJIGU/1hgTCxyhk/FJGIdsPA0assGg0Txtvv329Ozb87NB403arbju"
    "Cwj34hFHHwcw4wnN3winnz9lhNNPFmkMruQB04Z4KnyCwWWGc4Ad/lFh/AalWxF45MX3CV"
    "4NHCg8kcSxlh0ccyiXPBj0mO/1nGLKWyNgijjqb2euKEMDHPTMryUeVF6dD5t8RPaCTSSf"
    "A7PsiGveUr5BiwfSQdU7DaoOxqOo4hUOX/3cjOv3z0TmeAmG46gaEr2Boo9iwaqk2MaRWr"
    "E9JMV2JCoRTyoNewKqLYT7ZiFMKdu7iYO7Q9YYeW2HeXOViBo9nSun2rKhgXjLQCFbLa1+"
    "4uLinEtYkIEpeeZi5EhKZH6tNo5CiHK50CMjzADlXxPeRZhE4FfsDiLd02Lq2nqW8mlUgT"
    "oGT1gUDM8UV6HoPSkM8xa+SGlOxH4Uli9J5iTtJfQscU0tU+6RTBkOSOHQiHAA6yfs6NLA"
    "B5fBVaVo2KsLhlWLgfj8eNtvHOg81trRlrQjh7BSYa5h+9oFqWmnqtY9Y+1eUalt5yl8ez"
    "fYG87h07Vx6pdmFq0FpVCvE6WistXraLWlEr4gURBaVqeRW1gF6WCiNk2igs0xoIxPMIuf"
    "M/1yNIvkMdWWWuvtemXZmkVu3aLYlFZ+d6n8psejhOylBNdQyt1IVXhtdtiguqZ3LtM7l2"
    "2LXL1z2eHuXBbIYlV2RFFA6xfZvZEvn7YJ6+3iDphdvZ3PJtkNteMqlf9SWD2XV60UQVy5"
    "AUdMlRSQv2SkwJrvVXzDuU2gYvH4/rHXzWB5CUnSi00G/gI2phszwUaK1Axn2GbYoSfisr"
    "uoUyMoihncU7URkmUQjuOWdNFBsjYCMaUztIpHJAGtoUvkQFwgmXFZ8UqnDJnVXF8JqB7o"
    "vR7o0Nq8/UKg+zaqtSxUuW8kF3ZuFalUWSSj0CTu3Lc6vDIB7IZ31BP91Ij1jWZ/LZIwFd"
    "6/aIJmtusvlg1aoKIk4IONkQVCnO+UGxHbJi/I+4YuykEeEU+mN/ka0DdB5Gt8EwvxNIo0"
    "sE1dZM3FG7Wn75WePu0S0S6RA3WJHKTB+GAsbiLPY15p++wEUvOcy7OHoI3/4Gqk6yiW4V"
    "yik1DNdL6FHqnqSKzapVzvsrGaWeLyp69kLIsCtQVlry0opk1otRjxKFCnqe7zGAc6ndJI"
    "ll0nP45aZ738/R3aleXx9ynOfs/emA1bIOFyN49XGiAV+4Mc5gxeaYeMv8J6w5y/YybDwt"
    "yuMGRGTfHZhkwaq9e20pKZTbC2Eu6XlVD+m6I1J/0yaL8eI9Zuqd1wgaXobaUYzt4AIwGr"
    "QZ5rnhy9if0vDnC7AK4tW4LCciPQuG93bzvdj1cgwA+c1v39Q+9HsT8AX8w9UT9l4Ny3Pj"
    "+KIy6cUfH78fOjAIpDdEYFVBy9bcvdB7iyIjYXQHILAvmYFV6ms7MiUcRn2UHEZ4oiWnxU"
    "DL8KTCmrexJYv6DtjWSOY2q4s6GNTYXTecUeJ0vcFvcWCL8cB7u1ACduCr0xVszuVYQvcX"
    "ozhxKM/z4jDBlVCqqkkbqsSrH8GyzUIhl5UNJgn0Bqu32u3d5DJplO5Ze9It8ZPWjec3mP"
    "GQIoQ25J1pV4zXku5yOEeG9fyqfoRHGa45UcB8WtLDhX6FaZhhgFcnvBtuebIng9ZploBp"
    "+oZ2nIepaGa5ZdrFVwPaNzZ7Sw/zvINvi/aq/YNR5nTmoFuEbum++azfPz983T83eXby/e"
    "v397ebqY3ulTefP8uvNRTPWYdKjYy07XKMsckPrWKNMO6Q04pOVmmiW304phdB7Mai+0T9"
    "gafKM131ArNrFWO561c38zzv0iOUbUgS6dEPbKDKO2TMR/DDo7PPknM8soFj69qONXnahE"
    "7cCazM5MS4jeuWzruWsxzlRhHwlOc0I/kgOpoz8OSpI5Bjk5YofnKZd+6fBeCjvKpWu7fQ"
    "V8dNolftPq3rTv7qQv3RQPa9vSnR4cF02Dw9KB3u/d30v3OSOuW9FFflrEt3Ka7VtJ2561"
    "i3y7LnKK/+B3YIg1s/IrFO9imxEnHnGJJ1j1jYGlwk4eeve9h36n123dXYFoTwPnQ+cn8W"
    "YsDOvlK9AVKkCXU38u5XPkz4RdG5eudxQHantqvodADLhRKXMzCdVVpVZwDW2bmAuhuUyO"
    "bAyoZ3Quy2JZWhJWwSuj7mA3rG/ME7YR2sUWbhZ5qUp6Eq4XlBWcLwiDpnpVyRYeFdBtSj"
    "FCfi8pvlQUIddc40CoDoZNKK0wx1NYPcFXTHAGn5AReMnL861Aa8ZXME5t7LpwLIw9NueB"
    "Kz9VJnpmJ7v5ip4dCvti5RIp+IZ0wpSJ11EgaxTasLaAHRGOWq1mcQyol5EVE9kWW+/yFa"
    "DEDI5C9NRNT12P69mWMXP5ompMS6cbKNA66aBE0gFl0GPVlo4kVOvvuUvHBI8nxgsUFeLF"
    "piUlyVagNd+5fOs4vuwlvL5xfDPXqjjqcaQe9X0Z9ZCjyLCnojt09OYGojfDErzl4jcTKB"
    "3BqRS6dI34rcTGhpMxzbKOjo2HbiZe2wKFmXT5/XWX39fhx/sRfqy3OCgcVasDtQtzZSNr"
    "rPoSlSHqTvbRFnWv6zqlYntUVGcquiFGTSbTJuOzpXSjiMsOpZ7seOwZDZZJHYd9UFLzMc"
    "iOw2b8uzn24LR0InICuB4VZR+o3nIOsnipypZCjGLqFzG9/nqII35VoyzJMVANaiEmw9KL"
    "VFjirXLC0lM1lmyufMyULtNsmqOYLbKMnO3wvPbYrb9p2sx1q9sV0f1DUf7C4r/vejc/tG"
    "+N616fH7SJ+YQsY+hrFLuvGYmpkZWrvaqi3hKnndslnNsWpqYN8RR5BjRN5FbcfzWzF73H"
    "xP74hNKuQO0Azl7qDtMVmOUATnkAilj5Amvha01XtbWuqqz9WBW7WSp3vn6mfl1mYH/MWC"
    "3kYXPSUBiygjPHeaYsuGyjbVlb+xRt2Jb1jDxaMocoAqnh5qgbyT0XL1UJhoPmNWT37LRY"
    "IYW8SgrpUEbiMKRyBn//2OtmiLBLSFJ+xSYDfwEb0wOWVlTkCjJiQmpq847kPh0J6VN0cK"
    "0KKMkWJ9f/Mfv6f83w8Ag="
)
