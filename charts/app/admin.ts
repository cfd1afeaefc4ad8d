import type { Construct } from 'constructs';
import type { Config } from '../../config/schema';
import { StackChart, type StackChartProps } from '../stack-chart';
import { WebApp } from './web-app';

export interface AdminChartProps extends StackChartProps {
  readonly admin: Config['apps']['admin'];
}

/** The Next.js admin UI. */
export class AdminChart extends StackChart {
  readonly app: WebApp;

  constructor(scope: Construct, id: string, props: AdminChartProps) {
    super(scope, id, props);
    this.app = new WebApp(this, 'admin', {
      ...props.admin,
      name: 'admin',
      component: 'admin-ui',
      partOf: props.partOf,
      // Next.js writes its image and ISR cache under .next/ at run time.
      readOnlyRootFilesystem: false,
    });
  }
}
