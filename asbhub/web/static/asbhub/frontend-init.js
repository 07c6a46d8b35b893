/* Starts GOV.UK Frontend's and MoJ Frontend's components (an ES module, loaded by base.html).
 * A file, not an inline script, so the Content Security Policy needs no 'unsafe-inline'. */
import { initAll } from "../vendor/govuk-frontend/govuk-frontend.min.js";
import { initAll as initAllMoj } from "../vendor/moj-frontend/moj-frontend.min.js";

initAll();
initAllMoj();
