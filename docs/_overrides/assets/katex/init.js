// Renders the math that pymdownx.arithmatex (generic mode) leaves in .arithmatex elements as
// \( ... \) and \[ ... \], with the KaTeX copy next to this file: nothing comes from another
// host. Material's document$ emits on every page view, instant navigation included.
document$.subscribe(({ body }) => {
  for (const element of body.querySelectorAll(".arithmatex")) {
    renderMathInElement(element, {
      delimiters: [
        { left: "\\(", right: "\\)", display: false },
        { left: "\\[", right: "\\]", display: true },
      ],
      throwOnError: false, // a TeX mistake shows in red on the page (the browser tests look for it)
    })
  }
})
