"""Password policy: long enough, and not guessable (zxcvbn's estimate, which knows the common passwords).

A ministry's accounts are attacked with lists of the most common passwords and their
variations (« motdepasse123 », « azertyuiop2026 »): length alone does not stop them.
zxcvbn scores a password by how many guesses an attacker with such lists would need;
3 and above means "safely unguessable" against an online attack and a slow hash.
"""

from __future__ import annotations

from zxcvbn import zxcvbn

MIN_LENGTH = 12
MIN_SCORE = 3
#: Words an attacker targeting this ministry would try first: its own names, and the French passwords that
#: zxcvbn's (English-first) lists do not rank (« motdepasse », « azerty »… are among the most used in France).
CONTEXT_WORDS = (
    "vigie", "togo", "lome", "ministere", "energie", "mines", "ceet", "arse", "at2er", "supervision", "kara", "sokode",
    "motdepasse", "azerty", "azertyuiop", "bonjour", "bienvenue", "soleil", "doudou", "loulou", "chouchou", "marseille",
    "coucou", "secret", "admin", "administrateur", "utilisateur", "jetaime", "toto", "tutu", "afrique", "ewe", "kabye",
)  # fmt: skip


def password_problem(password: str, username: str = "") -> str | None:
    """Why ``password`` is refused (French, for the operator), or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"mot de passe trop court ({MIN_LENGTH} caractères au moins)"
    if len(set(password)) == 1:
        return "mot de passe fait d'un seul caractère répété"
    if username and username.lower() in password.lower():
        return "le mot de passe ne doit pas contenir le nom d'utilisateur"
    result = zxcvbn(password[:100], user_inputs=[username, *CONTEXT_WORDS])  # zxcvbn is slow on very long inputs
    if result["score"] < MIN_SCORE:
        return (
            "mot de passe trop facile à deviner (mot courant, suite de touches, répétition ou variante connue) ; "
            "prenez plutôt trois ou quatre mots sans rapport entre eux"
        )
    return None
