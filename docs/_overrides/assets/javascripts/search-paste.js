// The search box's query as words, before the search worker sees it. What a reader pastes
// is mostly an error message, and lunr's query syntax misreads one: a quoted key name
// ("0.weight") becomes a word every result must contain, a minus sign ("Target -1") a word
// no result may contain, a colon a field name, and "~", "^" and "*" fuzziness, boosts and
// wildcards. So those signs become spaces (mkdocs.yml's search separator splits the rest
// of the punctuation, as it split the pages).
//
// The numbers of the reader's own run (shapes such as 32x8, sizes, indices, ids) match
// numbers anywhere on the site, never the message's own: whole numbers and shapes are left
// out, and so are single letters (the "s" of "key(s)"), when the query has words besides.
// Numbers with a decimal point stay (versions, 3.14).
//
// A query of four words or more is a paste, not a word being typed: its words are matched
// whole (written "word^1", which the theme passes on as it is) rather than as beginnings,
// so "trace" does not find "trace_method" and "in" does not find every "input", and the
// common words lunr leaves out of its index are left out of the query too.
(function () {
  const OPERATORS = /["'`+\-:~^*\\]+/g;
  const BREAKS = /[\s,;()[\]{}<>|=!?]+/;
  const NUMBER = /^\d+(x\d+)*$/;
  const PASTE = 4;

  function searchWords(query) {
    const words = query.replace(OPERATORS, " ").split(BREAKS).filter(Boolean);
    const kept = words.filter(function (word) { return word.length > 1 && !NUMBER.test(word); });
    if (kept.length === 0) return words.join(" ");
    if (kept.length < PASTE) return kept.join(" ");
    return kept.map(function (word) { return word + "^1"; }).join(" ");
  }

  // Material's search talks to its worker with postMessage: {type: 2, data: query} is a
  // query (SearchMessageType.QUERY); everything else passes as it is.
  const QUERY = 2;
  const post = Worker.prototype.postMessage;
  Worker.prototype.postMessage = function (message) {
    if (message && message.type === QUERY && typeof message.data === "string") {
      arguments[0] = Object.assign({}, message, { data: searchWords(message.data) });
    }
    return post.apply(this, arguments);
  };
})();
