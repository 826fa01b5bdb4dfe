// Leak's proof of work, the only script on the page (relay/web/pow.go has
// the scheme, ALTCHA v1): find the number n for which SHA-256(salt + n)
// is the challenge the server signed, with the browser's WebCrypto, and
// send it with the form. It starts solving when the sender starts
// writing, so the answer is usually ready by the time they press Send.
// It reads and sends nothing else.
(function () {
  "use strict";
  var form = document.getElementById("send");
  if (!form) {
    return;
  }
  var button = document.getElementById("send-button");
  var status = document.getElementById("status");
  var field = document.getElementById("pow");
  field.value = ""; // a browser may restore an old, spent answer

  if (!window.crypto || !window.crypto.subtle || !window.TextEncoder || !window.fetch) {
    status.textContent = "This browser cannot solve the anti-bot puzzle here (it needs HTTPS and a recent browser). " +
      "You can send the same message by email instead: see below.";
    return;
  }

  var current = {
    algorithm: form.dataset.algorithm,
    challenge: form.dataset.challenge,
    maxnumber: Number(form.dataset.maxnumber),
    salt: form.dataset.salt,
    signature: form.dataset.signature
  };
  var pending = null; // the promise of a solution of current
  var BATCH = 256; // digests requested at once

  function say(text) {
    status.textContent = text;
  }

  // expiresAt is when a challenge expires, in ms (from its salt).
  function expiresAt(c) {
    var m = /[?&]expires=(\d+)/.exec(c.salt);
    return m ? Number(m[1]) * 1000 : 0;
  }

  // renew fetches a new challenge from the server.
  function renew() {
    return fetch("/api/v1/challenge", { cache: "no-store", credentials: "omit" }).then(function (r) {
      if (!r.ok) {
        throw new Error("challenge: " + r.status);
      }
      return r.json();
    }).then(function (c) {
      current = c;
      return c;
    });
  }

  function hexBytes(hex) {
    var out = new Uint8Array(hex.length / 2);
    for (var i = 0; i < out.length; i++) {
      out[i] = parseInt(hex.substr(i * 2, 2), 16);
    }
    return out;
  }

  function same(buf, want) {
    var got = new Uint8Array(buf);
    for (var i = 0; i < want.length; i++) {
      if (got[i] !== want[i]) {
        return false;
      }
    }
    return true;
  }

  // search tries every number of c in turn, BATCH digests at a time.
  async function search(c) {
    var enc = new TextEncoder();
    var want = hexBytes(c.challenge);
    for (var start = 0; start <= c.maxnumber; start += BATCH) {
      var end = Math.min(start + BATCH - 1, c.maxnumber);
      var jobs = [];
      for (var n = start; n <= end; n++) {
        jobs.push(crypto.subtle.digest("SHA-256", enc.encode(c.salt + n)));
      }
      var hashes = await Promise.all(jobs);
      for (var i = 0; i < hashes.length; i++) {
        if (same(hashes[i], want)) {
          return start + i;
        }
      }
    }
    throw new Error("no solution");
  }

  // solve returns the promise of a solution of a challenge that is not
  // about to expire.
  function solve() {
    if (pending) {
      return pending;
    }
    pending = (async function () {
      var c = current;
      if (expiresAt(c) - Date.now() < 60000) {
        c = await renew();
      }
      var n = await search(c);
      return { algorithm: c.algorithm, challenge: c.challenge, number: n, salt: c.salt, signature: c.signature };
    })();
    pending.catch(function () {
      pending = null;
    });
    return pending;
  }

  form.addEventListener("input", function () {
    solve().catch(function () {});
  }, { once: true });

  form.addEventListener("submit", async function (ev) {
    if (field.value) {
      return; // solved: the browser sends the form
    }
    ev.preventDefault();
    button.disabled = true;
    say("Solving the anti-bot puzzle…");
    try {
      var sol = await solve();
      if (expiresAt(sol) - Date.now() < 30000) {
        pending = null;
        await renew();
        sol = await solve();
      }
      field.value = btoa(JSON.stringify(sol));
      say("Sending…");
      // The prototype's submit, which no field of the form can shadow.
      HTMLFormElement.prototype.submit.call(form);
    } catch (e) {
      button.disabled = false;
      say("The anti-bot puzzle could not be solved just now. Press Send to try again, or send by email (see below).");
    }
  });

  // A page restored from the back-forward cache holds a spent answer.
  window.addEventListener("pageshow", function (ev) {
    if (ev.persisted) {
      field.value = "";
      pending = null;
      button.disabled = false;
      say("");
      renew().catch(function () {});
    }
  });

  button.disabled = false;
})();
