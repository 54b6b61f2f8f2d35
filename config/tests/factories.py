"""Rows of the original app's database (config/tests/legacy_schema.sql), as dicts keyed by its camelCase columns.

The original is not one of our databases, so these are factory-boy ``DictFactory``s, inserted with psycopg by the
import tests. Timestamps are naive UTC with millisecond precision, as Prisma's ``TIMESTAMP(3)`` holds them.
"""

from __future__ import annotations

import datetime

import factory

# Naive on purpose: the original's TIMESTAMP(3) columns say no time zone (they hold UTC).
T0 = datetime.datetime(2024, 3, 1, 9, 30, 15, 123000)  # noqa: DTZ001


def at(minutes: int) -> datetime.datetime:
    return T0 + datetime.timedelta(minutes=minutes)


class LegacyUserFactory(factory.DictFactory):
    id = factory.Sequence(lambda n: f"user_legacy{n:05d}")
    email = factory.Sequence(lambda n: f"legacy{n}@example.com")
    firstName = factory.Sequence(lambda n: f"Ada{n}")
    lastName = "Lovelace"
    imageUrl = factory.Sequence(lambda n: f"https://img.clerk.com/legacy-{n}.png")
    createdAt = factory.LazyFunction(lambda: at(0))
    updatedAt = factory.LazyFunction(lambda: at(5))


class LegacyBotFactory(factory.DictFactory):
    id = factory.Sequence(lambda n: f"clegacybot{n:015d}")
    uuid = factory.Faker("uuid4")
    name = factory.Sequence(lambda n: f"Legacy bot {n}")
    welcomeMessage = "Hi! Ask me anything about Example Inc."
    systemPrompt = "You are the assistant of Example Inc.\nBe brief."
    language = "en"
    voice = "jennifer"
    position = "RIGHT"
    theme = "LIGHT"
    ragEnabled = True
    ragSourceType = "FILES"
    ragUrl = None
    status = "ACTIVE"
    embedCode = factory.LazyAttribute(
        lambda bot: (
            '<script defer src="https://old.example.com/js/external-chatbot-voice.js" '
            f'data-chatbot-uuid="{bot.uuid}" data-language="{bot.language}" '
            f'data-position="{bot.position.lower()}" data-theme="{bot.theme.lower()}"></script>'
        )
    )
    documentsProcessed = 7  # the original's count: recounted by the import, never copied
    vapiAssistantId = factory.Sequence(lambda n: f"asst-legacy-{n:05d}")
    vapiKnowledgeBaseId = None
    localFilesStored = 7
    localStoragePath = factory.LazyAttribute(lambda bot: f"/home/site/wwwroot/uploads/{bot.uuid}")
    activationScheduledAt = factory.LazyFunction(lambda: at(10))
    activatedAt = factory.LazyFunction(lambda: at(11))
    createdAt = factory.LazyFunction(lambda: at(1))
    updatedAt = factory.LazyFunction(lambda: at(12))
    userId = None  # set by the test


class LegacyDocumentFactory(factory.DictFactory):
    id = factory.Sequence(lambda n: f"clegacydoc{n:015d}")
    name = factory.Sequence(lambda n: f"notes-{n}.txt")
    type = "text/plain"
    content = "Opening hours.\n\nWe are open from 9 to 5 on weekdays.\n\nClosed on public holidays."
    chunks = factory.LazyAttribute(lambda doc: [part for part in (doc.content or "").split("\n\n") if part])
    size = factory.LazyAttribute(lambda doc: len((doc.content or "").encode()))
    pages = None
    wordCount = factory.LazyAttribute(lambda doc: len((doc.content or "").split()))
    filePath = factory.LazyAttribute(lambda doc: f"/home/site/wwwroot/uploads/bot/{doc.name}")
    uploadedAt = factory.LazyFunction(lambda: at(20))
    processedAt = factory.LazyFunction(lambda: at(21))
    botId = None


class LegacySessionFactory(factory.DictFactory):
    id = factory.Sequence(lambda n: f"clegacyses{n:015d}")
    sessionId = factory.Sequence(lambda n: f"session_1709285415123_{n:09d}")
    startTime = factory.LazyFunction(lambda: at(30))
    endTime = factory.LazyFunction(lambda: at(33))
    userAgent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0 Safari/537.36"
    ipAddress = "203.0.113.7"
    interactions = 3
    userId = None
    botId = None


class LegacyCallFactory(factory.DictFactory):
    id = factory.Sequence(lambda n: f"clegacycal{n:015d}")
    vapiCallId = factory.Faker("uuid4")
    assistantId = "asst-legacy-00000"
    status = "ENDED"
    endedReason = "customer-ended-call"
    phoneNumber = "+15550100"
    type = "webCall"
    cost = 0.1875
    duration = 95
    transcript = "AI: Hello!\nUser: When are you open?"
    recording = factory.Sequence(lambda n: f"https://storage.vapi.ai/recordings/{n}.wav")
    summary = "The caller asked for the opening hours."
    messageCount = 4
    createdAt = factory.LazyFunction(lambda: at(40))
    startedAt = factory.LazyFunction(lambda: at(40))
    endedAt = factory.LazyFunction(lambda: at(42))
    updatedAt = factory.LazyFunction(lambda: at(43))
    userId = None
    botId = None
