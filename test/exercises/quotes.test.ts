// The rule that decides whether a quoted log line (docs/labs/*.md, ```log blocks) appears in a run: pure, no boards.
import assert from "node:assert/strict";
import { extractQuotes, findQuote, parseQuote, type RunLine } from "./quotes.ts";

const accepted =
  "  3245 I tcp.server: connection accepted (SYN, SYN/ACK, ACK done) session=1 proto=tcp local=127.0.71.2:8420 peer=127.0.71.3:40312 sessions=1";

function found(quote: string, run: RunLine[]): boolean {
  return findQuote(parseQuote(quote, "lab.md", 1), run).found;
}

describe("lab quotes and the matching rule", () => {
  it("takes quotes only from ```log blocks, skipping blank and '...' lines", () => {
    const markdown = [
      "Intro 12 I main: not a quote",
      "```log",
      "   0.4 server | " + accepted.trim(),
      "...",
      "",
      "   4.0 lab    * c1: Wi-Fi drops for 1s (its traffic stops both ways)",
      "```",
      "```sh",
      "npx linklab lab lab-1",
      "```",
    ].join("\n");
    const quotes = extractQuotes(markdown, "lab.md");
    assert.equal(quotes.length, 2);
    assert.equal(quotes[0].kind, "board");
    assert.equal(quotes[0].kind === "board" && quotes[0].board, "server");
    assert.equal(quotes[0].line, 3);
    assert.equal(quotes[1].kind, "lab");
  });

  it("refuses a quote that is not a serial log line, naming file and line", () => {
    assert.throws(() => extractQuotes("```log\nhello there\n```\n", "docs/labs/x.md"), /docs\/labs\/x\.md:2:/);
  });

  it("refuses a fence that is never closed", () => {
    assert.throws(() => extractQuotes("```log\n 1 I main: x\n", "x.md"), /never closed/);
  });

  it("matches a line whose numbers, ports and milliseconds differ", () => {
    const real = accepted.replace("3245", "12").replace("40312", "51877").replace("session=1", "session=14");
    assert.ok(found("   0.4 server | " + accepted.trim(), [{ board: "server", text: real }]));
  });

  it("does not match a line from another board", () => {
    assert.ok(!found("   0.4 server | " + accepted.trim(), [{ board: "c1", text: accepted }]));
  });

  it("matches a bare serial line from any board", () => {
    assert.ok(found(accepted, [{ board: "c1", text: accepted }]));
  });

  it("does not match when a word in a value differs", () => {
    const quote = "  100 I tcp.client: state handshaking->online reason=welcome server=server session=1 handshakeMs=3";
    assert.ok(found(quote, [{ board: "c1", text: quote.replace("handshakeMs=3", "handshakeMs=250") }]));
    assert.ok(!found(quote, [{ board: "c1", text: quote.replace("reason=welcome", "reason=backoff") }]));
  });

  it("does not match when the keys differ, or come in another order", () => {
    const quote = "  100 W tcp.client: server silent, link lost silentMs=3004 timeoutMs=3000";
    assert.ok(!found(quote, [{ board: "c1", text: "  100 W tcp.client: server silent, link lost silentMs=3004" }]));
    assert.ok(!found(quote, [{ board: "c1", text: "  100 W tcp.client: server silent, link lost timeoutMs=3000 silentMs=3004" }]));
  });

  it("does not match another level, tag or fixed message", () => {
    const quote = "  100 W tcp.client: server silent, link lost silentMs=3004 timeoutMs=3000";
    for (const text of [quote.replace(" W ", " I "), quote.replace("tcp.client", "tcp.server"), quote.replace("link lost", "link gone")])
      assert.ok(!found(quote, [{ board: "c1", text }]), text);
  });

  it("matches quoted values with spaces", () => {
    const quote = '  100 I tcp.client: echo reply seq=0 rttMs=2 text="from=c1 n=1"';
    assert.ok(found(quote, [{ board: "c1", text: quote.replace("n=1", "n=17").replace("rttMs=2", "rttMs=11") }]));
    assert.ok(!found(quote, [{ board: "c1", text: quote.replace("from=c1", "from=server") }]));
  });

  it("does not let a digit wildcard swallow other characters", () => {
    const quote = "  100 I tcp.server: state stopped->listening reason=start local=127.0.71.2:8420 maxClients=8";
    assert.ok(!found(quote, [{ board: "server", text: quote.replace("127.0.71.2:8420", "127.0.71.2") }]));
  });

  it("matches the lab's own lines by their text, digits free", () => {
    const quote = "   4.0 lab    * c1: Wi-Fi drops for 1s (its traffic stops both ways)";
    assert.ok(found(quote, [{ board: "lab", text: "c1: Wi-Fi drops for 2s (its traffic stops both ways)" }]));
    assert.ok(!found(quote, [{ board: "lab", text: "server: Wi-Fi drops for 1s (its traffic stops both ways)" }]));
  });

  it("shows the nearest lines when a quote is missing", () => {
    const quote = "  100 W tcp.client: server silent, link lost silentMs=3004 timeoutMs=3000";
    const result = findQuote(parseQuote(quote, "x.md", 1), [{ board: "c1", text: "  100 W tcp.client: server silent, link lost silentMs=3004" }]);
    assert.equal(result.found, false);
    assert.equal(result.near.length, 1);
    assert.match(result.near[0], /keys/);
  });
});
