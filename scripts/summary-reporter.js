// Prints one plain closing line, `tests: N passed, N failed[, N skipped]`, as the very last
// line of a jest run (after jest's own summary), so CI logs end with a count any reader
// or tool understands. Written at process exit because jest prints its summary after
// custom reporters run.
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const line = `tests: ${results.numPassedTests} passed, ${results.numFailedTests} failed`;
    const text = `\n${skipped > 0 ? `${line}, ${skipped} skipped` : line}\n`;
    process.once('exit', () => process.stderr.write(text));
  }
}
module.exports = SummaryReporter;
