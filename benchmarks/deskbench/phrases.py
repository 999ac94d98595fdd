"""What customers write in the desk benchmark, per language: questions the sample knowledge base
answers (in their own words, not its stored questions), questions it cannot answer, and second
messages: follow-ups, thanks, "still not working", and now and then a request for a person."""

from __future__ import annotations

import random

LANGUAGES: tuple[tuple[str, float], ...] = (("en", 0.55), ("it", 0.15), ("de", 0.15), ("pl", 0.15))

ANSWERABLE: dict[str, tuple[str, ...]] = {
    "en": (
        "can I pay with paypal?",
        "which payment methods do you accept",
        "my card keeps getting declined at checkout",
        "the checkout page shows an error and I can't order",
        "where do I put my discount code?",
        "can I pay in 3 instalments with klarna",
        "do you deliver to switzerland?",
        "how long does delivery to germany take",
        "where is my order? it's been a week",
        "my parcel says delivered but it's not here",
        "I want to return the coffee, I don't like it",
        "when do I get my refund",
        "how do I cancel my club subscription",
        "can I pause the club while I'm on holiday?",
        "how much does the coffee subscription cost",
        "I forgot my password and can't log in",
        "how do I change the email on my account",
        "where can I download an invoice for my order",
        "what's the difference between the roastwell home and the pro",
        "how do I descale my espresso machine",
        "which grind setting for french press?",
        "how long is the warranty on grinders",
        "can I try the espresso machine at home and send it back",
        "do you sell gift cards",
        "I entered the wrong delivery address",
        "can I cancel my order, I ordered by mistake",
        "do your prices include VAT? I need a company invoice",
        "how do bean points work",
        "do you sell whole beans in 1 kg bags?",
        "I'm in Poland, can I pay with BLIK",
    ),
    "it": (
        "posso pagare con paypal?",
        "perché la mia carta è stata rifiutata?",
        "dove inserisco il codice sconto",
        "quanto ci mette la spedizione in italia?",
        "dov'è il mio ordine?",
        "voglio restituire un caffè che non mi piace",
        "quando arriva il rimborso",
        "come disdico l'abbonamento al club",
        "ho dimenticato la password",
        "posso pagare a rate con klarna?",
        "posso cambiare l'indirizzo di consegna?",
        "voglio annullare l'ordine, ho ordinato per sbaglio",
        "quanto costa il club?",
        "posso provare la macchina espresso a casa?",
    ),
    "de": (
        "kann ich mit paypal bezahlen?",
        "warum wurde meine karte abgelehnt",
        "wo gebe ich den gutscheincode ein",
        "wie lange dauert der versand nach deutschland?",
        "wo ist meine bestellung",
        "wie funktioniert die rücksendung?",
        "wann bekomme ich mein geld zurück",
        "wie kündige ich das kaffee-abo",
        "passwort vergessen, was nun?",
        "kann ich in raten zahlen?",
        "ich habe die falsche adresse eingegeben",
        "ich möchte meine bestellung stornieren",
        "was kostet der club im monat?",
        "kann ich die espressomaschine 30 tage testen?",
    ),
    "pl": (
        "czy mogę zapłacić przez paypal?",
        "dlaczego moja karta została odrzucona",
        "gdzie wpisać kod rabatowy?",
        "ile trwa dostawa do polski",
        "gdzie jest moje zamówienie?",
        "jak zwrócić kawę, która mi nie smakuje",
        "kiedy dostanę zwrot pieniędzy",
        "jak anulować subskrypcję club",
        "zapomniałem hasła",
        "czy mogę zapłacić w ratach?",
        "podałem zły adres dostawy",
        "chcę anulować zamówienie",
        "ile kosztuje club?",
        "czy mogę przetestować ekspres w domu?",
    ),
}

UNANSWERABLE: dict[str, tuple[str, ...]] = {
    "en": (
        "what's the weather like in rome today",
        "do you sell tea?",
        "can I visit your roastery on saturday",
        "are you hiring baristas?",
        "do you have a shop in berlin",
    ),
    "it": ("vendete anche tè?", "che tempo fa a milano?", "avete un negozio a roma?"),
    "de": ("verkauft ihr auch tee?", "wie wird das wetter morgen?", "habt ihr einen laden?"),
    "pl": ("czy sprzedajecie herbatę?", "jaka będzie jutro pogoda?", "macie sklep w krakowie?"),
}

GREETINGS = {"en": "hi, ", "it": "ciao, ", "de": "hallo, ", "pl": "cześć, "}

FOLLOW_UPS = {
    "en": ("and how long does that take?", "ok, and what about shipping costs?",
           "what if I live in the UK?"),
    "it": ("e quanto ci vuole?", "e quanto costa la spedizione?"),
    "de": ("und wie lange dauert das?", "und was kostet der versand?"),
    "pl": ("a ile to trwa?", "a ile kosztuje wysyłka?"),
}  # fmt: skip

THANKS = {
    "en": ("thanks!", "thank you, that worked", "great, thanks", "perfect, thank you so much"),
    "it": ("grazie!", "grazie mille, ha funzionato", "perfetto, grazie"),
    "de": ("danke!", "vielen dank, hat geklappt", "super, danke"),
    "pl": ("dziękuję!", "dzięki, działa", "super, dziękuję bardzo"),
}

STILL_BROKEN = {
    "en": ("still not working", "I tried that and it still doesn't work",
           "that didn't help, still nothing"),
    "it": ("ancora non funziona", "ho provato ma continua a non funzionare"),
    "de": ("funktioniert immer noch nicht", "hat nicht geholfen, geht immer noch nicht"),
    "pl": ("nadal nie działa", "próbowałem, dalej nie działa"),
}  # fmt: skip

HUMAN = {
    "en": ("can I talk to a real person?", "I want to speak to a human"),
    "it": ("posso parlare con un operatore?",),
    "de": ("kann ich mit einem menschen sprechen?",),
    "pl": ("chcę rozmawiać z konsultantem",),
}

# The second message: another question, thanks, "still not working", or "a person, please".
SECOND_KINDS = (("question", 0.25), ("follow_up", 0.15), ("thanks", 0.30), ("broken", 0.22),
                ("human", 0.08))  # fmt: skip
UNANSWERABLE_SHARE = 0.12


def language(rng: random.Random) -> str:
    """A customer's language, English most often."""
    return _weighted(rng, LANGUAGES)


def first_message(rng: random.Random, lang: str) -> str:
    """An opening question, answerable most of the time, sometimes with a greeting."""
    pool = UNANSWERABLE if rng.random() < UNANSWERABLE_SHARE else ANSWERABLE
    text = rng.choice(pool[lang])
    if rng.random() < 0.25:
        text = GREETINGS[lang] + text
    return text


def second_message(rng: random.Random, lang: str, first: str) -> str:
    """What the customer writes after the app's answer to `first`."""
    kind = _weighted(rng, SECOND_KINDS)
    if kind == "question":
        return rng.choice([q for q in ANSWERABLE[lang] if q not in first])
    pool = {"follow_up": FOLLOW_UPS, "thanks": THANKS, "broken": STILL_BROKEN, "human": HUMAN}
    return rng.choice(pool[kind][lang])


def _weighted(rng: random.Random, choices: tuple[tuple[str, float], ...]) -> str:
    names, weights = zip(*choices, strict=True)
    return rng.choices(names, weights)[0]
