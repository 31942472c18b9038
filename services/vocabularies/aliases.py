"""What people may type for a code in Spanish, Portuguese and French: `sev=alta`, `tlp=ámbar`,
`status=resuelto`, `sector=santé`. The codes stay what is stored and sent; the English ones always work.

Every alias is written folded (lower case, no accents, words joined by "-"), as `fold` makes what
was typed, so `crítica`, `Critica` and `critica` are one word.
"""

from __future__ import annotations

import unicodedata


def fold(word: str) -> str:
    """A typed word as the aliases are written: "Crítica" -> "critica", "en curso" -> "en-curso"."""
    decomposed = unicodedata.normalize("NFKD", word.strip().lower())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return "-".join(bare.replace("_", " ").split())


def code_of(word: str, aliases: dict[str, str]) -> str:
    """The code a word names: the alias's code, else the folded word itself (an English code)."""
    folded = fold(word)
    return aliases.get(folded, folded)


SEVERITY = {
    # es
    "baja": "low",
    "media": "medium",  # also pt média
    "alta": "high",  # also pt
    "critica": "critical",  # also pt crítica
    "critico": "critical",
    # pt
    "baixa": "low",
    # fr
    "basse": "low",
    "faible": "low",
    "moyenne": "medium",
    "haute": "high",
    "elevee": "high",
    "critique": "critical",
}

# TLP and PAP colours; "+strict" in each language is turned into "+strict" before these are looked up.
COLOURS = {
    "blanco": "clear",
    "claro": "clear",
    "branco": "clear",
    "blanc": "clear",
    "clair": "clear",
    "verde": "green",
    "vert": "green",
    "ambar": "amber",
    "ambre": "amber",
    "rojo": "red",
    "vermelho": "red",
    "rouge": "red",
}
STRICT = ("estricto", "estrito", "strict")

STATUS = {
    "nuevo": "new",
    "novo": "new",
    "nouveau": "new",
    "triaje": "triage",
    "triagem": "triage",
    "tri": "triage",
    "en-curso": "in-progress",
    "en-progreso": "in-progress",
    "em-andamento": "in-progress",
    "en-cours": "in-progress",
    "escalado": "escalated",
    "escalade": "escalated",
    "mitigado": "mitigated",
    "attenue": "mitigated",
    "resuelto": "resolved",
    "resolvido": "resolved",
    "resolu": "resolved",
    "cerrado": "closed",
    "fechado": "closed",
    "ferme": "closed",
    "clos": "closed",
}

# Which tickets `list` shows.
SCOPE = {
    "abiertos": "open",
    "abiertas": "open",
    "abertos": "open",
    "ouverts": "open",
    "mios": "mine",
    "mis": "mine",
    "meus": "mine",
    "mes": "mine",
    "miens": "mine",
    "transfronterizos": "cross-border",
    "transfronteiricos": "cross-border",
    "transfrontaliers": "cross-border",
    "todos": "all",
    "tous": "all",
}

# STIX industry sectors as analysts name them in each language.
SECTORS = {
    "salud": "healthcare",
    "sanidad": "healthcare",
    "saude": "healthcare",
    "sante": "healthcare",
    "finanzas": "financial-services",
    "financiero": "financial-services",
    "banca": "financial-services",
    "financas": "financial-services",
    "financeiro": "financial-services",
    "bancos": "financial-services",
    "banque": "financial-services",
    "energia": "energy",  # es energía, pt energia
    "energie": "energy",
    "gobierno": "government-national",
    "governo": "government-national",
    "gouvernement": "government-national",
    "gobierno-digital": "government-public-services",
    "governo-digital": "government-public-services",
    "administration-numerique": "government-public-services",
    "telecomunicaciones": "telecommunications",
    "telecomunicacoes": "telecommunications",
    "transporte": "transportation",
    "transportes": "transportation",
    "educacion": "education",
    "educacao": "education",
    "agua": "water",
    "eau": "water",
    "defensa": "defense",
    "defesa": "defense",
    "seguros": "insurance",
    "assurance": "insurance",
    "mineria": "mining",
    "mineracao": "mining",
    "mines": "mining",
    "tecnologia": "technology",
    "technologie": "technology",
    "manufactura": "manufacturing",
    "industria": "manufacturing",
    "industrie": "manufacturing",
    "comercio": "retail",
    "commerce": "retail",
    "agricultura": "agriculture",
    "nucleaire": "nuclear",
}
