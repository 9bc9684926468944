import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isGanymedeError } from '../../errors/ganymede-error.ts';
import { operatorCommand } from './operator.ts';

describe('ganymede operator', () => {
  it('refuses bad options by name before touching a cluster', async () => {
    await assert.rejects(
      operatorCommand.run(['--workers', '0']),
      (e: unknown) => isGanymedeError(e) && e.field === 'workers',
    );
    await assert.rejects(
      operatorCommand.run(['--kubeconfig', '/nonexistent/kubeconfig']),
      (e: unknown) => isGanymedeError(e) && e.field === 'kubeconfig',
    );
    for (const bad of ['-1', '2.5', 'lots']) {
      await assert.rejects(
        operatorCommand.run([`--max-starting=${bad}`]),
        (e: unknown) => isGanymedeError(e) && e.field === 'max-starting',
      );
    }
    for (const bad of ['4', '2.5', 'soon']) {
      await assert.rejects(
        operatorCommand.run([`--node-lost=${bad}`]),
        (e: unknown) => isGanymedeError(e) && e.field === 'node-lost',
      );
    }
    await assert.rejects(operatorCommand.run(['--frobnicate']), /Unknown option/);
  });
});
