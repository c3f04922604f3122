/* plotly.js in French, served from this app's own assets (nothing fetched): month and day names on time axes
   and in hover labels, « , » for decimals, a narrow no-break space between thousands, and the modebar's words.
   Every chart's config says locale: "fr" (dashboard/graph_config.py).

   Registered before any chart is drawn: if plotly.js is already loaded, now; otherwise plotly.js registers
   every locale queued in window.PlotlyLocales when it loads, before it can draw anything. */
(function () {
  var french = {
    moduleType: "locale",
    name: "fr",
    dictionary: {
      "Download plot as a PNG": "Télécharger le graphique (PNG)",
      "Download plot": "Télécharger le graphique",
      "Preparing image - this may take a few seconds": "Préparation de l'image, quelques secondes…",
      "Image download succeeded": "Image téléchargée",
      "Sorry, there was a problem downloading your image!": "Le téléchargement de l'image a échoué.",
      "Zoom": "Zoomer (tracer un cadre)",
      "Zoom in": "Zoom avant",
      "Zoom out": "Zoom arrière",
      "Pan": "Déplacer",
      "Reset axes": "Revenir à la vue d'origine",
      "Autoscale": "Échelle automatique",
      "Double-click to zoom back out": "Double-cliquez pour revenir à la vue d'origine",
      "Click to enter Colorscale title": "Cliquez pour saisir le titre de l'échelle",
      "Click to enter X axis title": "Cliquez pour saisir le titre de l'axe X",
      "Click to enter Y axis title": "Cliquez pour saisir le titre de l'axe Y",
      "Click to enter Plot title": "Cliquez pour saisir le titre du graphique",
      "trace": "série",
      "new text": "nouveau texte"
    },
    format: {
      days: ["dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"],
      shortDays: ["dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."],
      months: ["janvier", "février", "mars", "avril", "mai", "juin",
               "juillet", "août", "septembre", "octobre", "novembre", "décembre"],
      shortMonths: ["janv.", "févr.", "mars", "avr.", "mai", "juin",
                    "juil.", "août", "sept.", "oct.", "nov.", "déc."],
      periods: ["", ""],
      date: "%d/%m/%Y",
      dateTime: "%A %e %B %Y à %X",
      time: "%H:%M:%S",
      decimal: ",",
      thousands: "\u202f",
      grouping: [3],
      currency: ["", "\u00a0FCFA"],
      year: "%Y",
      month: "%b %Y",
      dayMonth: "%e %b",
      dayMonthYear: "%e %b %Y"
    }
  };
  if (window.Plotly && typeof window.Plotly.register === "function") {
    window.Plotly.register(french);
  } else {
    window.PlotlyLocales = window.PlotlyLocales || [];
    window.PlotlyLocales.push(french);
  }
})();
