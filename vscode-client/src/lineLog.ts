/**
 * vscode-languageclient writes the server's stderr to its output channel chunk by chunk (`append`), and its
 * own messages as "[Error - 10:00:00 AM] ..." lines. A LogOutputChannel makes one entry per call, so a
 * Python traceback would become dozens of fragments. LineLog buffers text into whole lines and gives each
 * line to the log at the level its prefix names. No `vscode` import: unit-tested with node's test runner.
 */

export interface LevelLog {
  trace(message: string): void;
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

const PREFIX = /^\[(Error|Warn|Info|Debug|Trace)\s*- [^\]]*\]\s?(.*)$/s;

export class LineLog {
  private buffer = "";

  constructor(private readonly target: LevelLog, private readonly flushAfterMs = 200) {}

  private timer: ReturnType<typeof setTimeout> | undefined;

  append(value: string): void {
    this.buffer += value;
    const parts = this.buffer.split(/\r?\n/);
    this.buffer = parts.pop() ?? "";
    for (const line of parts) {
      this.emit(line);
    }
    this.scheduleFlush();
  }

  appendLine(value: string): void {
    this.append(value + "\n");
  }

  /** Writes out a last partial line (a server that died without a newline). */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.buffer) {
      const rest = this.buffer;
      this.buffer = "";
      this.emit(rest);
    }
  }

  private scheduleFlush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.buffer && this.flushAfterMs >= 0) {
      this.timer = setTimeout(() => this.flush(), this.flushAfterMs);
    }
  }

  private emit(line: string): void {
    if (!line.trim()) {
      return;
    }
    const m = PREFIX.exec(line);
    if (!m) {
      this.target.info(line);
      return;
    }
    const message = m[2];
    // vscode-languageclient reports every exit as an error, a clean one after stop() too.
    const level = m[1] === "Error" && /^Server process exited with code 0\.?$/.test(message.trim()) ? "Info" : m[1];
    switch (level) {
      case "Error":
        this.target.error(message);
        break;
      case "Warn":
        this.target.warn(message);
        break;
      case "Debug":
        this.target.debug(message);
        break;
      default:
        // Info, and Trace: the message trace the user turned on with shapelens.trace.server.
        this.target.info(message);
    }
  }
}
