// Small behaviours; inline handlers are forbidden by the Content-Security-Policy.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("select[data-lang-switch], select[data-autosubmit]").forEach(function (el) {
    el.addEventListener("change", function () { el.form.submit(); });
  });
});
