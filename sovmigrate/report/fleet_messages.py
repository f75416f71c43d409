"""French and English texts of the diagnostic and plan reports."""

from __future__ import annotations

from sovmigrate.report.i18n import register

register(
    {
        "diag.title": {"fr": "Diagnostic du parc", "en": "Fleet diagnostic"},
        "diag.subtitle": {"fr": "Campagne {campaign}", "en": "Campaign {campaign}"},
        "diag.machines": {"fr": "Postes", "en": "Machines"},
        "status.ready": {"fr": "Prêts", "en": "Ready"},
        "status.needs-action": {"fr": "Action requise", "en": "Needs action"},
        "status.blocked": {"fr": "Bloqués", "en": "Blocked"},
        "diag.readiness": {"fr": "Préparation à la migration", "en": "Migration readiness"},
        "diag.reasons": {"fr": "Principales raisons", "en": "Top reasons"},
        "diag.code": {"fr": "Code", "en": "Code"},
        "diag.level": {"fr": "Niveau", "en": "Level"},
        "diag.message": {"fr": "Message", "en": "Message"},
        "diag.figure": {"fr": "Indicateur à publier", "en": "Figure to publish"},
        "diag.figure_intro": {
            "fr": "{deps} installations sur {installs} connues du catalogue ; {unmatched} "
            "installations de logiciels non revus et {ignored} pilotes ou composants exclus.",
            "en": "{deps} of {installs} installations known to the catalogue; {unmatched} "
            "installations of software not reviewed and {ignored} drivers or components "
            "excluded.",
        },
        "diag.projection": {
            "fr": "Projection après chaque vague",
            "en": "Projection after each wave",
        },
        "diag.before": {"fr": "Avant", "en": "Before"},
        "diag.wave": {"fr": "Vague", "en": "Wave"},
        "diag.date": {"fr": "Date", "en": "Date"},
        "diag.migrated": {"fr": "Postes migrés", "en": "Machines migrated"},
        "diag.dependencies": {"fr": "Dépendances hors UE", "en": "Non-EU dependencies"},
        "diag.share": {"fr": "Part", "en": "Share"},
        "diag.map": {"fr": "Cartographie des dépendances", "en": "Dependency map"},
        "diag.by_axis": {"fr": "Par axe", "en": "By axis"},
        "diag.axis": {"fr": "Axe", "en": "Axis"},
        "diag.installs": {"fr": "Installations", "en": "Installations"},
        "diag.machines_dep": {"fr": "Postes dépendants", "en": "Dependent machines"},
        "diag.after": {"fr": "Après la campagne", "en": "After the campaign"},
        "diag.by_publisher": {"fr": "Par éditeur", "en": "By publisher"},
        "diag.publisher": {"fr": "Éditeur", "en": "Publisher"},
        "diag.country": {"fr": "Pays", "en": "Country"},
        "diag.by_jurisdiction": {"fr": "Par juridiction", "en": "By jurisdiction"},
        "jur.eu": {"fr": "UE", "en": "EU"},
        "jur.non-eu": {"fr": "Hors UE", "en": "Non-EU"},
        "jur.unknown": {"fr": "Inconnue", "en": "Unknown"},
        "diag.sites": {"fr": "Par site", "en": "By site"},
        "diag.site": {"fr": "Site", "en": "Site"},
        "diag.departments": {"fr": "Par service", "en": "By department"},
        "diag.department": {"fr": "Service", "en": "Department"},
        "diag.unmatched": {
            "fr": "Logiciels non revus, par nombre de postes",
            "en": "Software not reviewed, by number of machines",
        },
        "diag.unmatched_intro": {
            "fr": "Absents du catalogue et ni pilote, ni composant, ni mise à jour : chaque poste "
            "qui en a un est « action requise » (software-not-reviewed) jusqu'à ce que le "
            "catalogue de la campagne les classe (accès web, VDI ou exception Windows ; "
            "docs/catalogue.md). Revoir d'abord les premiers de la liste.",
            "en": "Not in the catalogue and neither a driver, a component nor an update: every "
            "machine running one needs action (software-not-reviewed) until the campaign's "
            "catalogue classifies it (web access, VDI or Windows exception; docs/catalogue.md). "
            "Review the top of the list first.",
        },
        "diag.title_col": {"fr": "Titre", "en": "Title"},
        "axis.workstation": {"fr": "Poste de travail", "en": "Workstation"},
        "axis.collaboration": {"fr": "Outils collaboratifs", "en": "Collaboration"},
        "axis.antivirus": {"fr": "Antivirus", "en": "Antivirus"},
        "axis.ai": {"fr": "IA", "en": "AI"},
        "axis.databases": {"fr": "Bases de données", "en": "Databases"},
        "axis.virtualisation": {"fr": "Virtualisation", "en": "Virtualisation"},
        "axis.network": {"fr": "Réseau", "en": "Network"},
    }
)

register(
    {
        "plan.title": {"fr": "Plan de migration par vagues", "en": "Wave migration plan"},
        "plan.summary": {"fr": "Synthèse", "en": "Summary"},
        "plan.scheduled": {"fr": "Postes planifiés", "en": "Machines scheduled"},
        "plan.waves": {"fr": "Vagues", "en": "Waves"},
        "plan.blocked": {"fr": "Postes bloqués (hors plan)", "en": "Blocked machines (left out)"},
        "plan.start": {"fr": "Début", "en": "Start"},
        "plan.end": {"fr": "Fin prévue", "en": "Forecast end"},
        "plan.working_days": {"fr": "Jours ouvrés", "en": "Working days"},
        "plan.calendar": {"fr": "Calendrier", "en": "Calendar"},
        "plan.calendar_intro": {
            "fr": "Jours ouvrés français (week-ends et jours fériés exclus, Pâques compris).",
            "en": "French working days (weekends and public holidays excluded, Easter included).",
        },
        "plan.gantt": {"fr": "Diagramme de Gantt par site", "en": "Gantt chart by site"},
        "plan.pilot": {"fr": "Pilote", "en": "Pilot"},
        "plan.wave": {"fr": "Vague", "en": "Wave"},
        "plan.site": {"fr": "Site", "en": "Site"},
        "plan.days": {"fr": "Jours", "en": "Days"},
        "plan.machines": {"fr": "Postes", "en": "Machines"},
        "plan.data": {"fr": "Données (Go)", "en": "Data (GB)"},
        "plan.capacity": {"fr": "Capacité par site", "en": "Capacity by site"},
        "plan.per_day": {"fr": "Postes par jour", "en": "Machines per day"},
        "plan.gb_per_day": {"fr": "Go par jour (lien)", "en": "GB per day (link)"},
        "plan.reasons": {"fr": "Raisons", "en": "Reasons"},
        "plan.machine": {"fr": "Poste", "en": "Machine"},
        "plan.machines_per_week": {"fr": "Postes migrés par semaine", "en": "Machines per week"},
    }
)
