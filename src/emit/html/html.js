(function () {
  "use strict";
  // Hover highlighting for the diagram; the page is complete without it.
  var svg = document.getElementById("sgpair-diagram");
  if (!svg) {
    return;
  }
  var nodes = Array.prototype.slice.call(svg.querySelectorAll("[data-node]"));
  var edges = Array.prototype.slice.call(svg.querySelectorAll("[data-from]"));
  var groups = svg.querySelectorAll("[data-sg]");
  var rules = svg.querySelectorAll("[data-rule]");
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr[data-key]"));

  function clear() {
    svg.classList.remove("focus");
    nodes.concat(edges, rows).forEach(function (el) {
      el.classList.remove("hl");
    });
  }
  function light(edge) {
    edge.classList.add("hl");
    nodes.forEach(function (n) {
      var k = n.getAttribute("data-node");
      if (k === edge.getAttribute("data-from") || k === edge.getAttribute("data-to")) {
        n.classList.add("hl");
      }
    });
    rows.forEach(function (r) {
      if (r.getAttribute("data-key") === edge.getAttribute("data-rule")) {
        r.classList.add("hl");
      }
    });
  }
  function focusNode(node) {
    clear();
    svg.classList.add("focus");
    node.classList.add("hl");
    var k = node.getAttribute("data-node");
    edges.forEach(function (e) {
      if (e.getAttribute("data-from") === k || e.getAttribute("data-to") === k) {
        light(e);
      }
    });
  }
  function focusKey(key) {
    clear();
    svg.classList.add("focus");
    edges.forEach(function (e) {
      if (e.getAttribute("data-rule") === key) {
        light(e);
      }
    });
  }
  nodes.forEach(function (n) {
    n.addEventListener("mouseenter", function () { focusNode(n); });
    n.addEventListener("focus", function () { focusNode(n); });
    n.addEventListener("mouseleave", clear);
    n.addEventListener("blur", clear);
  });
  edges.forEach(function (e) {
    e.addEventListener("mouseenter", function () {
      clear();
      svg.classList.add("focus");
      light(e);
    });
    e.addEventListener("mouseleave", clear);
  });
  rows.forEach(function (r) {
    r.addEventListener("mouseenter", function () { focusKey(r.getAttribute("data-key")); });
    r.addEventListener("mouseleave", clear);
  });

  // Read by tests/html.rs: the script ran to its end and found the diagram.
  document.body.setAttribute("data-sgpair-groups", String(groups.length));
  document.body.setAttribute("data-sgpair-rules", String(rules.length));
  if (groups.length > 0) {
    document.body.setAttribute("data-sgpair-ready", "yes");
  }
})();
