import type { Construct } from 'constructs';
import type { Config } from '../../config/schema';
import { REDIS_ADDR } from '../../config/tool-env';
import { StackChart, type StackChartProps } from '../stack-chart';
import type { RedisChart } from './redis';
import { WebApp } from './web-app';

export interface ApiChartProps extends StackChartProps {
  readonly api: Config['apps']['api'];
  /** Redis the API caches in and enqueues Asynq jobs to. */
  readonly redis: RedisChart;
}

/** The Go HTTP API, which also serves the marketing landing page. */
export class ApiChart extends StackChart {
  readonly app: WebApp;

  constructor(scope: Construct, id: string, props: ApiChartProps) {
    super(scope, id, props);
    const { api } = props;
    this.app = new WebApp(this, 'api', {
      ...api,
      name: 'api',
      component: 'api',
      partOf: props.partOf,
      env: { ...api.env, [REDIS_ADDR]: props.redis.address },
    });
  }
}
