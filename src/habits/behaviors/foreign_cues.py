"""Cues for reasoning written in French, German and Spanish (appended to the sets of ``cues.py`` and
``goal_cues.py``).

Prepared text has lost its accents (``text.prepare``: "raté" -> "rate", "plutôt" -> "plutot", "Größe"
-> "grosse"), so the patterns are written without them. Every cue starts with a word of its language
and is looked up by it, so on English text these cues cost nothing. They cover the same habits as the
English cues, in the phrasings a writer of each language uses for them: a verdict on a result
("passt", "zu wenig", "raté", "sobra el 1"), a switch ("anders herum", "prenons plutôt", "otra
forma"), a value still needed ("fehlen noch 2", "il faut 14", "necesito 6"), a question from the
target backwards ("¿qué número por 4 da 100?"), and the target stated ("Ziel: 202").
"""

from __future__ import annotations

import re

from habits.behaviors.cue import cue, cues

_END = r"(?=[.!?)\s]*\n)"  # the word ends its clause
_VERDICT_BEFORE = r"(?:\d\)?|[,.!:;(-])\s*"  # a verdict right after a number or punctuation
_NUMBER_FOLLOWS = r"(?=[^\n]{0,80}\d)"

VERIFY = (
    # a verdict on its own or ending its clause: "passt!", "= 10 - rate d'un", "listo!"
    cue(r"\n[^\w\n]*(?:passt|stimmt|richtig|falsch|listo|correcto|exacto|parfait|gagne|faux)\b"
        r"(?=\s*(?:[,.!?;:)\-]|\d|\n))",
        gate="passt stimmt richtig falsch listo correcto exacto parfait gagne faux",
        fail=re.compile(r"falsch|faux")),
    *cues("passt|stimmt|richtig|listo|correcto|exacto|parfait", _END, before=_VERDICT_BEFORE),
    *cues("falsch|faux", _END, before=_VERDICT_BEFORE, fail=True),
    cue(r"rate\b(?=\s*(?:[.!,]|d'|\n))", before=_VERDICT_BEFORE, fail=True),  # "raté", "raté d'un" (not "rate limit")
    # too little / too much: "7 - 6 = 1 - zu wenig", "trop grand", "demasiado pequeno"
    cue(r"zu\s+(?:wenig|viel|klein|gross|hoch|niedrig)\b", fail=True, also="wenig viel klein gross hoch niedrig"),
    cue(r"trop\s+(?:grand|petit|haut|bas|loin|gros)\b", fail=True),
    cue(r"pas\s+assez\b", fail=True, also="assez"),
    cue(r"demasiado\s+(?:grande|pequeno|alto|bajo|lejos)\b", fail=True),
    *cues(r"bringt\s+nichts|geht\s+nicht|klappt\s+nicht|funktioniert\s+nicht", r"\b", fail=True),
    cue(r"no\s+(?:sirve|funciona|alcanza|llega)\b", fail=True, also="sirve funciona alcanza llega"),
    cue(r"ne\s+marche\s+pas\b", fail=True, also="marche"),
    # a number left over: "sobra el 1", "il reste le 3"
    cue(r"sobran?\s+(?:el\s+|la\s+|un\s+|una\s+)?\d", fail=True, gate="sobra sobran"),
    # announced checks that name what they check: "Comprobación: 25 * 4 = 100", "Probe: 101 * 2 = 202"
    cue(r"comprob(?:acion|ar|amos|emos|ando)\b" + _NUMBER_FOLLOWS,
        gate="comprobacion comprobar comprobamos comprobemos comprobando"),
    cue(r"compruebo\b" + _NUMBER_FOLLOWS),
    cue(r"verific(?:ar|amos|o)\b" + _NUMBER_FOLLOWS, gate="verificar verificamos verifico"),
    cue(r"kontroll(?:e|ieren)\b" + _NUMBER_FOLLOWS, gate="kontrolle kontrollieren"),
)

SWITCH = (
    cue(r"anders\s*(?:herum|rum)\b", gate="anders andersrum"),
    *cues(r"neuer\s+versuch|stattdessen", r"\b"),
    cue(r"noch\s*mal\b", gate="noch nochmal", before=r"\b(?:also|dann|ok|gut|versuchen\s+wir(?:'s|\s+es)?)\s+"),
    cue(r"plutot\b"),  # "prenons plutôt K = 10"
    cue(r"on\s+reprend\b", also="reprend"),
    cue(r"recommen(?:cons|cer)\b", gate="recommencons recommencer"),
    cue(r"autre\s+(?:idee|approche|methode|facon|essai|piste)\b"),
    cue(r"otra\s+(?:forma|manera|idea|opcion|estrategia)\b"),
    cue(r"en\s+(?:cambio|su\s+lugar)\b", also="cambio su"),
)

WEAK_SWITCH = (
    *cues(r"essayons|probemos|intentemos|versuchen\s+wir", r"\b", gate="essayons probemos intentemos versuchen"),
)

NEED_NUMBER = (
    # "dann fehlen noch 2", "il me faudrait encore 11", "il faut alors 14", "necesito 6", "faltan 3"
    cue(r"fehl(?:en|t)\s+(?:noch\s+|also\s+)?(?:die\s+|eine?\s+)?(\d+)\b", gate="fehlen fehlt"),
    cue(r"brauche\s+(?:ich\s+)?(?:noch\s+)?(?:die\s+|eine?n?\s+)?(\d+)\b"),
    cue(r"(?:faut|faudrait)\s+(?:encore\s+|alors\s+|donc\s+|d'abord\s+)?(?:un\s+|une\s+)?(\d+)\b", gate="faut faudrait"),
    cue(r"besoin\s+d(?:e\s+|')(?:un\s+|une\s+)?(\d+)\b"),
    cue(r"necesit(?:o|amos|as)\s+(?:un\s+|una\s+)?(\d+)\b", gate="necesito necesitamos necesitas"),
    cue(r"faltan?\s+(?:el\s+|un\s+|una\s+)?(\d+)\b", gate="falta faltan"),
)

BACKWARD = (
    # "¿qué número por 4 da 100?", "quel nombre fois 4 donne 24 ?", "welche Zahl mal 4 ergibt 24?"
    cue(r"que\s+numero\s+(?:por|mas|menos|entre|multiplicado\s+por)\s+\d+\s+(?:da|es|hace|resulta)\b", also="numero"),
    cue(r"quel\s+nombre\s+(?:fois|plus|moins|divise\s+par)\s+\d+\s+(?:donne|fait)\b", also="nombre"),
    cue(r"welche\s+zahl\s+(?:mal|plus|minus|geteilt\s+durch)\s+\d+\s+(?:gibt|ergibt|macht)\b", also="zahl"),
    cue(r"rue?ckwa(?:e)?rts\b", gate="ruckwarts rueckwaerts"),
    cue(r"a\s+rebours\b", also="rebours"),
    cue(r"hacia\s+atras\b", also="atras"),
)

TARGET_VOTES = (
    *cues("ziel|objetivo|objectif|cible", r"\s*(?::|=|ist|es|est)?\s*(\d+)\b", gate="{}", weight=10),
)
