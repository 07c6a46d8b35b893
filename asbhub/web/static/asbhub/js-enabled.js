/* Loaded first thing in <body>, before anything is drawn: GOV.UK Frontend's components style
 * themselves for JavaScript only when this class is set, and only browsers that run ES modules
 * can run them. A file, not an inline script, so the Content Security Policy needs no
 * 'unsafe-inline'. */
document.body.className += " js-enabled" +
  ("noModule" in HTMLScriptElement.prototype ? " govuk-frontend-supported" : "");
