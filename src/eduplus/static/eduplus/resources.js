// Upload form: choose the catalog node step by step (学段 › 学科 › 版本 › 年级 › 册 › 章节 › 课节)
// instead of in one long list. The original <select name="node"> stays the form field;
// without JavaScript it is used as it is.
(function () {
  "use strict";
  var data = document.getElementById("resources-catalog");
  var select = document.querySelector("select[name=node]");
  if (!data || !select) return;
  var nodes = JSON.parse(data.textContent);
  var children = {};
  var byId = {};
  nodes.forEach(function (n) {
    byId[n.id] = n;
    (children[n.parent || 0] = children[n.parent || 0] || []).push(n);
  });
  var attachable = { volume: 1, chapter: 1, section: 1 };
  var box = document.createElement("div");
  box.className = "cascade";
  select.style.display = "none";
  select.parentNode.insertBefore(box, select.nextSibling);

  function chain(id) {
    var out = [];
    for (var n = byId[id]; n; n = byId[n.parent]) out.unshift(n.id);
    return out;
  }

  function render(path) {
    box.textContent = "";
    var parent = 0;
    for (var level = 0; ; level++) {
      var options = children[parent];
      if (!options) break;
      var s = document.createElement("select");
      s.setAttribute("aria-label", "catalog level " + (level + 1));
      var blank = document.createElement("option");
      blank.value = "";
      blank.textContent = "—";
      s.appendChild(blank);
      options.forEach(function (n) {
        var o = document.createElement("option");
        o.value = n.id;
        o.textContent = n.name;
        if (path[level] === n.id) o.selected = true;
        s.appendChild(o);
      });
      s.addEventListener("change", function (ev) {
        var picked = parseInt(ev.target.value, 10);
        var prefix = Array.prototype.slice.call(box.querySelectorAll("select"))
          .map(function (x) { return parseInt(x.value, 10); })
          .slice(0, Array.prototype.indexOf.call(box.children, ev.target));
        render(picked ? prefix.concat([picked]) : prefix);
      });
      box.appendChild(s);
      if (!path[level]) break;
      parent = path[level];
    }
    var last = path[path.length - 1];
    select.value = last && attachable[byId[last].kind] ? String(last) : "";
  }

  render(select.value ? chain(parseInt(select.value, 10)) : []);
})();
