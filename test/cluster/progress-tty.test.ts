// Rollout progress as an operator sees it in a terminal: the shipped CLI (dist/, built before the
// suite) runs apply in a tmux pane 72 columns wide, while the fake API server's rollout simulation
// updates calico-node one node at a time, one step per screen change: the test steps the rollout
// only after the pane shows the previous numbers (it waits for what the screen shows, never for a
// duration), and the pane must show "updated 1/3", "2/3", "3/3" in turn, in one line redrawn in
// place, every line within the width.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { type BuiltBundle, buildBundle } from '../support/bundle.ts';
import { calicoYaml, type Env, setup } from './helpers.ts';

const WIDTH = 72;
const haveTmux = spawnSync('tmux', ['-V']).status === 0;

function tmux(...args: string[]): string {
  const r = spawnSync('tmux', args, { encoding: 'utf8' });
  assert.equal(r.status, 0, `tmux ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

describe('apply progress in a terminal (tmux)', { skip: !haveTmux && 'tmux is not installed' }, () => {
  let env: Env;
  let bundle: BuiltBundle;
  const session = `netpack-progress-${process.pid}`;
  before(async () => {
    bundle = buildBundle();
    env = await setup();
  });
  after(async () => {
    spawnSync('tmux', ['kill-session', '-t', session]);
    await env?.close();
    bundle?.remove();
  });

  /**
   * `command` in a shell that keeps the pane (and the last screen) after it ends, and says its exit
   * status; the shell survives Ctrl-C (a handler, not an ignore: the command gets the default).
   */
  const shellKeeping = (command: string) => `sh -c 'trap : INT; ${command}; echo "exit $?"; exec cat'`;

  /** Runs the shipped CLI's `apply -f file` against the fake server in a new pane, WIDTH wide. */
  const applyInPane = (file: string) => {
    const command = [
      process.execPath,
      bundle.cli,
      'apply',
      '-f',
      file,
      '--kubeconfig',
      env.server.kubeconfigPath,
    ];
    const size = ['-x', String(WIDTH), '-y', '15'];
    const environment = ['-e', 'TERM=xterm', '-e', 'NODE_OPTIONS='];
    tmux('new-session', '-d', '-s', session, ...size, ...environment, shellKeeping(command.join(' ')));
  };

  /** The calico-node line of a screen. */
  const calicoNode = (text: string) =>
    text
      .split('\n')
      .find((l) => l.includes('calico-node'))
      ?.trim() ?? '';

  /** The pane's text, as the operator sees it. */
  const screen = () => tmux('capture-pane', '-p', '-t', session);

  /** Resolves with the screen once `shows` accepts it; the pane changes when the CLI draws. */
  async function until(shows: (text: string) => boolean, what: string): Promise<string> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const text = screen();
      if (shows(text)) return text;
      if (Date.now() > deadline) assert.fail(`the screen never showed ${what}:\n${text}`);
      // Between two looks at the pane; what is awaited is the screen's content, not this pause.
      await new Promise((r) => setImmediate(r));
    }
  }

  it('shows updated/ready/desired changing as calico-node updates node by node, in place, within the width', async () => {
    const first = env.file('a.yml', calicoYaml());
    assert.equal((await env.np('apply', '-f', first, '--no-wait')).code, 0);
    env.server.rollout.settle();
    // A changed calico-node template: a new generation, rolled out one node per step.
    const changed = env.file(
      'b.yml',
      calicoYaml('  calico:\n    environment:\n      FELIX_LOGSEVERITYSCREEN: info\n'),
    );
    applyInPane(changed);
    await env.server.nextRequest((q) => q.verb === 'watch' && q.resource === 'daemonsets');
    const seen: string[] = [];
    for (let updated = 1; updated <= 3; updated++) {
      env.server.rollout.step();
      const text = await until(
        (t) => calicoNode(t).includes(`updated ${updated}/3 ready 3/3`),
        `calico-node updated ${updated}/3`,
      );
      seen.push(calicoNode(text));
    }
    const last = await until((t) => /^exit \d+$/m.test(t), 'the end of apply');
    assert.match(last, /^exit 0$/m, last);
    assert.match(last, /^rolled out$/m);
    // The numbers moved: 1/3, 2/3, 3/3 updated, in that order, each on the one calico-node line.
    assert.deepEqual(
      seen.map((l) => /updated (\d)\/3/.exec(l)?.[1]),
      ['1', '2', '3'],
      seen.join('\n'),
    );
    assert.equal(last.split('\n').filter((l) => l.includes('calico-node')).length, 1, last);
    for (const line of last.split('\n')) assert.ok(line.length <= WIDTH, line);
    assert.match(last, /ok updated 3\/3 ready 3\/3 {2}\d+s {2}DaemonSet\.apps\/kube-system\/calico-no/);
  });

  it('Ctrl-C while waiting says what was done and that running apply again converges', async () => {
    spawnSync('tmux', ['kill-session', '-t', session]);
    const changed = env.file(
      'c.yml',
      calicoYaml('  calico:\n    environment:\n      FELIX_LOGSEVERITYSCREEN: debug\n'),
    );
    const before = env.server.requests.length;
    applyInPane(changed);
    // The rollout is not stepped: apply waits until it is interrupted.
    await env.server.nextRequest(
      (q) => env.server.requests.indexOf(q) >= before && q.verb === 'watch' && q.resource === 'daemonsets',
    );
    await until((t) => calicoNode(t).includes('updated'), 'the progress');
    tmux('send-keys', '-t', session, 'C-c');
    const text = await until((t) => /^exit \d+$/m.test(t), 'the end of apply');
    assert.match(text, /^exit 130$/m, text);
    // Long lines wrap at the pane's width: read them joined.
    const said = text.replace(/\n/g, '');
    assert.match(
      said,
      /interrupted while waiting for the rollout: everything was applied \(\d+ objects written\)/,
      text,
    );
    assert.match(said, /running apply again converges/, text);
  });
});
