"""Use-case services that front ends call: they own the rules, the front end only renders."""
