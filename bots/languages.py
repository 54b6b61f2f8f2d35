"""The languages a bot may speak: one list, derived from what the configured transcriber understands, used by the
API's serializers, the pages, the admin and the assistant body (``bots.vapi``).

Sources (checked December 2026):

- The transcriber's codes are VAPI's own enum for it, which VAPI validates ``transcriber.language`` against (VapiAI/docs
  ``fern/apis/api/openapi.json``, schema ``DeepgramTranscriber.language``; the same enum is generated into VAPI's
  server SDKs as ``DeepgramTranscriberLanguage``). A code outside it makes VAPI refuse the assistant (the bot ends
  FAILED), so the API refuses it first. Codes are case-sensitive there (``en-AU``, not ``en-au``), and here.
- A bot also has to be *spoken* in its language: the voice is ElevenLabs' (``bots.vapi``), whose multilingual model
  ``eleven_turbo_v2_5`` speaks 32 languages (ElevenLabs' model overview, "Turbo v2.5"). A transcriber code whose
  language that model does not speak (Catalan, Estonian, Latvian, Lithuanian, Thai, Tamasheq, and Deepgram's
  ``multi``) is left out: the caller would be understood and answered in another language's voice.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

ENGLISH = "en"

# VAPI's DeepgramTranscriber.language enum, with an English name for each code (those left out: see the docstring).
DEEPGRAM = {
    "bg": "Bulgarian",
    "cs": "Czech",
    "da": "Danish",
    "da-DK": "Danish (Denmark)",
    "de": "German",
    "de-CH": "German (Switzerland)",
    "el": "Greek",
    "en": "English",
    "en-AU": "English (Australia)",
    "en-GB": "English (United Kingdom)",
    "en-IN": "English (India)",
    "en-NZ": "English (New Zealand)",
    "en-US": "English (United States)",
    "es": "Spanish",
    "es-419": "Spanish (Latin America)",
    "es-LATAM": "Spanish (Latin America, LATAM)",
    "fi": "Finnish",
    "fr": "French",
    "fr-CA": "French (Canada)",
    "hi": "Hindi",
    "hi-Latn": "Hindi (Latin script)",
    "hu": "Hungarian",
    "id": "Indonesian",
    "it": "Italian",
    "ja": "Japanese",
    "ko": "Korean",
    "ko-KR": "Korean (Korea)",
    "ms": "Malay",
    "nl": "Dutch",
    "nl-BE": "Dutch (Belgium, Flemish)",
    "no": "Norwegian",
    "pl": "Polish",
    "pt": "Portuguese",
    "pt-BR": "Portuguese (Brazil)",
    "ro": "Romanian",
    "ru": "Russian",
    "sk": "Slovak",
    "sv": "Swedish",
    "sv-SE": "Swedish (Sweden)",
    "ta": "Tamil",
    "tr": "Turkish",
    "uk": "Ukrainian",
    "vi": "Vietnamese",
    "zh": "Chinese",
    "zh-CN": "Chinese (China, Simplified)",
    "zh-Hans": "Chinese (Simplified)",
    "zh-Hant": "Chinese (Traditional)",
    "zh-TW": "Chinese (Taiwan, Traditional)",
}
# The transcriber providers we have the list of (VAPI_TRANSCRIBER_PROVIDER); another is a configuration error.
TRANSCRIBER_LANGUAGES: dict[str, dict[str, str]] = {"deepgram": DEEPGRAM}


def transcriber_languages(provider: str | None = None) -> dict[str, str]:
    """The codes (and their names) the configured transcriber takes, in the order they are offered."""
    provider = provider or settings.VAPI_TRANSCRIBER_PROVIDER
    try:
        return TRANSCRIBER_LANGUAGES[provider]
    except KeyError:
        raise ImproperlyConfigured(
            f"VAPI_TRANSCRIBER_PROVIDER={provider!r}: its languages are not known here "
            f"(known: {', '.join(sorted(TRANSCRIBER_LANGUAGES))}); add them to bots/languages.py"
        ) from None


def language_choices() -> list[tuple[str, str]]:
    """(code, name) pairs for selects and the API's enum: English first, then by name."""
    languages = transcriber_languages()
    return sorted(languages.items(), key=lambda item: (item[0].split("-")[0] != ENGLISH, item[1]))


def language_name(code: str) -> str:
    return transcriber_languages().get(code, code)


def base_language(code: str) -> str:
    """The ISO 639-1 part of a code (``pt-BR`` -> ``pt``): what ElevenLabs takes as ``voice.language``."""
    return (code or ENGLISH).split("-")[0].lower()


def is_english(code: str) -> bool:
    return base_language(code) == ENGLISH


def transcriber_language(code: str) -> str:
    """The code to send as ``transcriber.language`` for a stored bot language. New bots are validated against the
    list; a bot saved before the list existed may hold a code in another case (``en-au``) or a regional code the
    transcriber lacks (``pt-PT``): the list's own spelling, else its base language when listed, else as stored (VAPI
    then refuses it, and the owner sees why)."""
    languages = transcriber_languages()
    if code in languages:
        return code
    folded = {known.lower(): known for known in languages}
    if (code or "").lower() in folded:
        return folded[code.lower()]
    base = base_language(code)
    return base if base in languages else code
