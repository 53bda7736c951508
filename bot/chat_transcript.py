"""A chat written out the way a person would tell it: what they wrote and pressed, what the bot sent,
edited and deleted, in the order it happened.

    Ann: /start
    Bot #2: 👋 Welcome! Choose your language:
        [✓ English] [Русский]
    Ann presses [✓ English]
    Bot edits #2: How it works
        You pick a trader; ...
    Ann presses [✅ I understand and accept]
        (notice: Thank you!)
    Bot #5: [photo: equity chart] XRP swing ...
    Bot deletes #4

Bot lines come from the sandbox's record of the chat (`Conversation.events`), each with the text and
buttons the message showed at that moment, so an edit prints what that edit said. A button's notice
(the answer to the press, when it has text) is printed under the press. Message dates are never
printed: they are the wall clock. Call `catch_up()` only when the bot has finished answering (the
caller's "settled" point), so a person's next action is never printed between two of the bot's.
"""
from __future__ import annotations

from collections.abc import Callable

from bot.sandbox import UserDriver
from bot.sandbox.state import ChatEvent

Write = Callable[[str], None]
INDENT = "    "


class Transcript:
    def __init__(self, user: UserDriver, name: str, write: Write, *, bot_name: str = "Bot") -> None:
        self.user = user
        self.name = name
        self.bot_name = bot_name
        self.write = write
        self._events = 0  # chat events printed so far
        self._answers = 0  # button answers printed so far

    def says(self, text: str) -> None:
        self.catch_up()
        self._block(f"{self.name}: ", text)

    def presses(self, label: str) -> None:
        self.catch_up()
        self.write(f"{self.name} presses [{label}]")

    def narrate(self, text: str) -> None:
        """A line of the story that is not part of the chat (what happens elsewhere)."""
        self.catch_up()
        self.write("")
        self.write(f"~~ {text}")
        self.write("")

    def catch_up(self) -> None:
        """Print what the bot did since the last call: the button's notice first, then its messages."""
        answers = self.user.callback_answers
        for answer in answers[self._answers:]:
            if answer.text:
                self.write(f"{INDENT}({'alert' if answer.show_alert else 'notice'}: {answer.text})")
        self._answers = len(answers)
        events = self.user.conv.events
        for event in events[self._events:]:
            self._event(event)
        self._events = len(events)

    def _event(self, event: ChatEvent) -> None:
        number = event.message.message_id
        if event.kind == "delete":
            self.write(f"{self.bot_name} deletes #{number}")
            return
        head = f"{self.bot_name} #{number}: " if event.kind == "new" else f"{self.bot_name} edits #{number}: "
        body = event.content
        if event.message.has_photo:
            body = "[photo: equity chart]" + (f" {body}" if body else "")
        self._block(head, body)
        for row in event.keyboard:
            self.write(INDENT + " ".join(f"[{label}]" for label in row))

    def _block(self, head: str, text: str) -> None:
        first, *rest = text.split("\n") or [""]
        self.write(head + first)
        for line in rest:
            self.write((INDENT + line).rstrip())
