import type { KubeProxyPlan } from '../model/kube-proxy';
import { PATHS } from '../model/paths';
import { rootFile, type WriteFile } from './write-file';

/** The modules-load.d file of the modules a kube-proxy mode needs; none when it needs none. */
export function kernelModuleFiles(plan: Pick<KubeProxyPlan, 'modules'>): WriteFile[] {
  return plan.modules.length === 0 ? [] : [rootFile(PATHS.modulesLoad, `${plan.modules.join('\n')}\n`, '0644')];
}
