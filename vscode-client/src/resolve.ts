/**
 * Picks what runs the server: tries the candidate interpreters in order (interpreter.ts), probes each
 * (serverCommand.ts: PROBE_CODE) and returns the first that can run shapelens, the bundled one or, with
 * importStrategy "fromEnvironment", an installed one at least as new. No `vscode` import: the process runner
 * is passed in, so the unit tests run it with real Pythons.
 */
import { describeSource, Interpreter } from "./interpreter";
import {
  Attempt,
  Bundle,
  CommandLine,
  ImportStrategy,
  interpretProbe,
  Launch,
  Probe,
  ProbeMode,
  problemText,
  ProcessResult,
  probeCommand,
  pythonVersionText,
  tooOld,
  wantsEnvironment,
} from "./serverCommand";

export interface ResolveInputs {
  candidates: Interpreter[];
  bundle?: Bundle;
  strategy: ImportStrategy;
  run: (command: CommandLine) => Promise<ProcessResult>;
  log: (message: string) => void;
}

export interface Resolution {
  launch?: Launch;
  /** The interpreters that could not run shapelens, and why. */
  attempts: Attempt[];
}

export async function resolveLaunch(inputs: ResolveInputs): Promise<Resolution> {
  const attempts: Attempt[] = [];
  const { bundle, log } = inputs;
  const probe = async (python: string[], mode: ProbeMode): Promise<Probe> =>
    interpretProbe(await inputs.run(probeCommand(python, mode, bundle)));

  for (const candidate of inputs.candidates) {
    const where = describeSource(candidate.source);
    const launchFrom = (mode: ProbeMode, report: Probe & { ran: true }): Launch => ({
      python: candidate.command,
      where,
      executable: report.report.executable || candidate.command[0],
      pythonVersion: pythonVersionText(report.report),
      mode,
      shapelensPath: report.report.path ?? "?",
      shapelensVersion: report.report.shapelensVersion ?? "?",
      bundle,
    });
    const first = await probe(candidate.command, bundle ? "bundled" : "environment");
    if (!first.ran || tooOld(first.report)) {
      attempts.push({ python: candidate.command, where, problem: problemText(first, bundle) });
      log(`Skipping ${candidate.command.join(" ")} (${where}): it ${problemText(first, bundle)}`);
      continue;
    }
    const report = first.report;
    if (!bundle) {
      if (report.ok) {
        return { launch: launchFrom("environment", first), attempts };
      }
      const problem = `is ${pythonVersionText(report)} and cannot import shapelens (${report.error ?? "?"}); this build of the extension carries no bundled shapelens`;
      attempts.push({ python: candidate.command, where, problem });
      log(`Skipping ${candidate.command.join(" ")} (${where}): it ${problem}`);
      continue;
    }
    let triedEnvironment = false;
    if (wantsEnvironment(inputs.strategy, report, bundle)) {
      triedEnvironment = true;
      const env = await probe(candidate.command, "environment");
      if (env.ran && env.report.ok) {
        return { launch: launchFrom("environment", env), attempts };
      }
      log(
        `The environment's shapelens ${report.envVersion} (${report.envPath}) cannot start ` +
          `(${env.ran ? env.report.error : env.detail}): using the bundled ${bundle.version}`,
      );
    } else if (inputs.strategy === "fromEnvironment") {
      log(
        report.envVersion
          ? `The environment's shapelens ${report.envVersion} (${report.envPath}) is older than the bundled ${bundle.version}: using the bundled one`
          : `No shapelens installed in ${report.executable}'s environment: using the bundled ${bundle.version}`,
      );
    }
    if (report.ok) {
      return { launch: launchFrom("bundled", first), attempts };
    }
    if (report.envVersion && !triedEnvironment) {
      const env = await probe(candidate.command, "environment");
      if (env.ran && env.report.ok) {
        log(`The bundled shapelens cannot run with ${report.executable} (${report.error}): using the environment's ${report.envVersion}`);
        return { launch: launchFrom("environment", env), attempts };
      }
    }
    attempts.push({ python: candidate.command, where, problem: problemText(first, bundle) });
    log(`Skipping ${candidate.command.join(" ")} (${where}): it ${problemText(first, bundle)}`);
    if (candidate.source === "setting") {
      break;
    }
  }
  return { attempts };
}
