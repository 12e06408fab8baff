/** Progress lines go to stderr so `status` output and test reporters on stdout stay clean. */
type Sink = (line: string) => void;

let sink: Sink = (line) => process.stderr.write(`[infra] ${line}\n`);

export function say(line: string): void {
  sink(line);
}

/** Tests can silence or capture progress output. */
export function setSay(next: Sink): void {
  sink = next;
}
