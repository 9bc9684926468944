/**
 * The operator as a separate process, so a test can SIGKILL it. Arguments: kubeconfig path,
 * namespace, worker count, and optionally a Lease identity (enables leader election with a
 * short lease). Prints "ready" once it reconciles.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { startOperator } from '../../../src/kubernetes/operator/operator.ts';

const [kubeconfigPath, namespace, workers, identity] = process.argv.slice(2);
if (!kubeconfigPath || !namespace)
  throw new Error('usage: run-operator.ts KUBECONFIG NAMESPACE [WORKERS] [IDENTITY]');
const kubeConfig = new KubeConfig();
kubeConfig.loadFromFile(kubeconfigPath);
const operator = startOperator({
  kubeConfig,
  namespace,
  workers: Number(workers ?? '4'),
  leaderElection: identity
    ? {
        namespace,
        identity,
        timing: { leaseDurationMs: 4000, renewDeadlineMs: 3000, retryPeriodMs: 500 },
      }
    : undefined,
  // For the benchmark: one JSON line per notebook that turned Running.
  onRunning: (e) => {
    process.stdout.write(
      `${JSON.stringify({ running: e.notebook, operatorLatencyMs: e.operatorLatencyMs, statusWriteMs: e.statusWriteMs })}\n`,
    );
  },
});
await operator.ready;
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  void operator.stop().then(() => process.exit(0));
});
