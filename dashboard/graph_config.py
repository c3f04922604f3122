"""The one modebar configuration of every chart in the app: what a user may do with a figure.

plotly.js 4 puts a « Share chart... » button (``sendChartToCloud``) on every modebar by default: it
uploads the figure and its data (agent names on the workload chart, a case's timeline) to Plotly
Cloud. Nothing leaves the ministry's machines, so every ``dcc.Graph`` takes its ``config`` from here
and the modebar is a whitelist (``modeBarButtons``): a button plotly.js adds in a later version
stays off until it is listed here. Desks keep the PNG download (for a note or a slide), and zoom
with its reset on time axes; wall screens show no modebar at all (nobody clicks a wall).

French through ``locale: "fr"``: assets/plotly_fr.js registers that locale with plotly.js before any chart
is drawn (served from this app: nothing fetched, nothing to allow in the CSP), so time axes and hover labels
name French months whatever the browser's language; ``locales`` repeats the dictionary and formats with each
plot. The modebar's buttons are kept out of the tab order by assets/desk.js: a keyboard user reaches the case
list without crossing every chart's toolbar (the mouse keeps them).
"""

from __future__ import annotations

from typing import Any

#: plotly.js's English strings for the buttons and messages we keep, in French.
FRENCH_DICTIONARY = {
    "Download plot as a PNG": "Télécharger le graphique (PNG)",
    "Download plot": "Télécharger le graphique",
    "Preparing image - this may take a few seconds": "Préparation de l'image, quelques secondes…",
    "Image download succeeded": "Image téléchargée",
    "Sorry, there was a problem downloading your image!": "Le téléchargement de l'image a échoué.",
    "Zoom": "Zoomer (tracer un cadre)",
    "Reset axes": "Revenir à la vue d'origine",
    "Autoscale": "Échelle automatique",
    "Double-click to zoom back out": "Double-cliquez pour revenir à la vue d'origine",
}
#: Dates on time axes and in hover labels: French day and month names, as domain.french writes them.
FRENCH_FORMAT = {
    "days": ["dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"],
    "shortDays": ["dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."],
    "months": [
        "janvier", "février", "mars", "avril", "mai", "juin",
        "juillet", "août", "septembre", "octobre", "novembre", "décembre",
    ],
    "shortMonths": ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."],
    "date": "%d/%m/%Y",
    "decimal": ",",
    "thousands": "\u202f",
}  # fmt: skip

#: Modebar buttons that never send anything off the machine: a local PNG, and zoom on time axes.
DOWNLOAD_BUTTONS = ["toImage"]
ZOOM_BUTTONS = ["zoom2d", "resetScale2d"]


def _desk(buttons: list[list[str]]) -> dict[str, Any]:
    return {
        "modeBarButtons": buttons,  # a whitelist: plotly.js's defaults (the cloud upload among them) are not used
        "showSendToCloud": False,  # belt and braces, should the whitelist ever be dropped
        "plotlyServerURL": "",
        "showLink": False,
        "sendData": False,
        "displaylogo": False,  # the logo links to plotly.com
        "toImageButtonOptions": {"format": "png", "filename": "vigie-graphique", "scale": 2},
        "locale": "fr",
        "locales": {"fr": {"dictionary": FRENCH_DICTIONARY, "format": FRENCH_FORMAT}},
    }  # no "responsive": desk figures set their own height, which a responsive plot would trade for its container's


#: Bar charts on desks (explorer, workload): the PNG download only.
DESK_GRAPH: dict[str, Any] = _desk([DOWNLOAD_BUTTONS])
#: Time axes on desks (trends, processing times, a case's timeline): PNG, zoom and back to the whole range.
TIME_GRAPH: dict[str, Any] = _desk([DOWNLOAD_BUTTONS, ZOOM_BUTTONS])
#: Wall screens: no modebar; the figures turn hover off (no hover-only information on a wall).
WALL_GRAPH: dict[str, Any] = {
    "displayModeBar": False,
    "modeBarButtons": [],
    "showSendToCloud": False,
    "plotlyServerURL": "",
    "showLink": False,
    "displaylogo": False,
    "responsive": True,
}
#: Every configuration a chart of this app may use (tests check each dcc.Graph against it).
ALL_CONFIGS: tuple[dict[str, Any], ...] = (DESK_GRAPH, TIME_GRAPH, WALL_GRAPH)
