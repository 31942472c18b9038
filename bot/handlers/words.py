"""The words of /incident in Spanish, Portuguese and French: `/incident nuevo … sev=alta`,
`/incident novo … países=BR`, `/incident nouveau … gravité=haute`. The English words always work.

Written folded (lower case, no accents), as the registry folds what is typed: `résoudre` and
`resoudre` are one word. A word may serve two languages (`ver` is Spanish and Portuguese).
"""

from __future__ import annotations

# English subcommand -> its words in each language.
SUBCOMMANDS: dict[str, dict[str, tuple[str, ...]]] = {
    "new": {"es": ("nuevo", "nueva", "abrir"), "pt": ("novo", "nova", "abrir"), "fr": ("nouveau", "ouvrir")},
    "show": {"es": ("ver", "mostrar"), "pt": ("ver", "mostrar"), "fr": ("voir", "afficher")},
    "list": {"es": ("listar", "lista"), "pt": ("listar", "lista"), "fr": ("lister", "liste")},
    "update": {"es": ("actualizar", "cambiar"), "pt": ("atualizar", "alterar"), "fr": ("modifier", "changer")},
    "assign": {"es": ("asignar",), "pt": ("atribuir",), "fr": ("assigner", "attribuer")},
    "resolve": {"es": ("resolver",), "pt": ("resolver",), "fr": ("resoudre",)},
    "close": {"es": ("cerrar",), "pt": ("fechar", "encerrar"), "fr": ("fermer", "clore")},
    "reopen": {"es": ("reabrir",), "pt": ("reabrir",), "fr": ("rouvrir",)},
    "note": {"es": ("nota",), "pt": ("nota",), "fr": ("remarque",)},
    "timeline": {
        "es": ("cronologia", "historial"),
        "pt": ("cronologia", "historico"),
        "fr": ("chronologie", "historique"),
    },
    "export": {"es": ("exportar",), "pt": ("exportar",), "fr": ("exporter",)},
    "report": {"es": ("informe", "reporte"), "pt": ("relatorio",), "fr": ("rapport",)},
    "share": {"es": ("compartir",), "pt": ("compartilhar",), "fr": ("partager",)},
    "notify": {"es": ("notificar", "alertar"), "pt": ("notificar", "alertar"), "fr": ("notifier", "alerter")},
    "publish": {"es": ("publicar",), "pt": ("publicar",), "fr": ("publier",)},
    "peers": {"es": ("pares", "contrapartes"), "pt": ("pares", "parceiros"), "fr": ("pairs", "homologues")},
    "assist": {"es": ("asistencia", "pedir-ayuda"), "pt": ("assistencia", "pedir-ajuda"), "fr": ("assistance",)},
    "accept": {"es": ("aceptar",), "pt": ("aceitar",), "fr": ("accepter",)},
    "decline": {"es": ("rechazar", "declinar"), "pt": ("recusar",), "fr": ("refuser", "decliner")},
    "result": {"es": ("resultado",), "pt": ("resultado",), "fr": ("resultat",)},
    "forward": {"es": ("reenviar", "derivar"), "pt": ("encaminhar",), "fr": ("transferer", "transmettre")},
    "cancel": {"es": ("cancelar", "retirar"), "pt": ("cancelar",), "fr": ("annuler",)},
    "oncall": {"es": ("guardia",), "pt": ("plantao",), "fr": ("astreinte",)},
    "escalate": {"es": ("escalar",), "pt": ("escalar",), "fr": ("escalader",)},
    "ack": {"es": ("acusar", "recibido"), "pt": ("ciente",), "fr": ("acquitter",)},
    "requests": {"es": ("solicitudes", "pedidos"), "pt": ("solicitacoes", "pedidos"), "fr": ("demandes",)},
    "clocks": {"es": ("plazos",), "pt": ("prazos",), "fr": ("delais", "echeances")},
    "filed": {"es": ("presentado", "notificado"), "pt": ("protocolado",), "fr": ("depose",)},
    "lang": {"es": ("idioma",), "pt": ("idioma", "lingua"), "fr": ("langue",)},
    "help": {"es": ("ayuda",), "pt": ("ajuda",), "fr": ("aide",)},
}

# What an option sets (its field, as each Subcommand's `options` name it) -> its keys in each language.
OPTIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "severity": {"es": ("gravedad", "severidad"), "pt": ("gravidade", "severidade"), "fr": ("gravite", "severite")},
    "countries": {"es": ("paises", "pais"), "pt": ("paises", "pais"), "fr": ("pays",)},
    "country": {"es": ("pais",), "pt": ("pais",), "fr": ("pays",)},
    "title": {"es": ("titulo",), "pt": ("titulo",), "fr": ("titre",)},
    "description": {"es": ("descripcion",), "pt": ("descricao",), "fr": ("descr",)},
    "type": {"es": ("tipo",), "pt": ("tipo",), "fr": ("categorie",)},
    "sectors": {"es": ("sector", "sectores"), "pt": ("setor", "setores"), "fr": ("secteur", "secteurs")},
    "sector": {"es": ("sector",), "pt": ("setor",), "fr": ("secteur",)},
    "status": {"es": ("estado",), "pt": ("estado", "situacao"), "fr": ("statut", "etat")},
    "aware": {"es": ("detectado", "conocido"), "pt": ("detectado",), "fr": ("detecte", "connu")},
    "text": {"es": ("buscar",), "pt": ("buscar",), "fr": ("chercher",)},
    "by": {"es": ("plazo",), "pt": ("prazo",), "fr": ("delai",)},
    "peer": {"es": ("par",), "pt": ("par",), "fr": ("pair",)},
    "format": {"es": ("formato",), "pt": ("formato",), "fr": ("format",)},
    "language": {"es": ("idioma",), "pt": ("idioma", "lingua"), "fr": ("langue",)},
    "ref": {"es": ("referencia",), "pt": ("referencia",), "fr": ("reference",)},
}
