// One modal for every confirmation: a title, a body, optional extra fields, and an
// action that may fail (the dialog stays open and shows why).

import { byId } from "./html.js";
import { t } from "./i18n.js";

/**
 * `confirmAction({title, body, ok, danger, extra, action})`: `extra` is a node put
 * under the body (inputs); `action()` runs on OK; a thrown error keeps the dialog
 * open with its message. Resolves true when the action succeeded, false on cancel.
 */
export function confirmAction({ title, body, ok, danger = true, extra = null, action }) {
  const dialog = byId("confirm");
  const okBtn = byId("confirm-ok");
  const errorBox = byId("confirm-error");
  byId("confirm-title").textContent = title;
  byId("confirm-body").textContent = body || "";
  byId("confirm-extra").replaceChildren(...(extra ? [extra] : []));
  okBtn.textContent = ok;
  okBtn.className = danger ? "btn btn-danger" : "btn btn-primary";
  errorBox.hidden = true;
  byId("confirm-cancel").textContent = t("common.cancel");
  return new Promise((resolve) => {
    const onOk = async (event) => {
      event.preventDefault();
      okBtn.disabled = true;
      try {
        await action();
        finish(true);
      } catch (err) {
        errorBox.textContent = err && err.message ? err.message : String(err);
        errorBox.hidden = false;
      } finally {
        okBtn.disabled = false;
      }
    };
    const onClose = () => finish(false);
    let done = false;
    function finish(result) {
      if (done) return;
      done = true;
      okBtn.removeEventListener("click", onOk);
      dialog.removeEventListener("close", onClose);
      if (dialog.open) dialog.close();
      resolve(result);
    }
    okBtn.addEventListener("click", onOk);
    dialog.addEventListener("close", onClose);
    dialog.showModal();
    const first = dialog.querySelector("#confirm-extra input");
    if (first) first.focus();
  });
}
