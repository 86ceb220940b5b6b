import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { EncryptedTopic } from './alert-topic';
import { WATCHED_SERVICES } from './config';

/** CloudWatch namespace and fixed dimension of the function's metrics (docs/lambda.md, Metrics). */
export const METRICS_NAMESPACE = 'Trailwatch';
const SERVICE_DIMENSION = { service: 'trailwatch' };

/** A function and the queue that keeps what it could not process. */
export interface WatchedFunction {
  readonly function: lambda.IFunction;
  readonly deadLetterQueue: sqs.IQueue;
}

/** The distributed backfill's resources the alarms and the dashboard row read. */
export interface WatchedBackfill extends WatchedFunction {
  /** The work queue. */
  readonly queue: sqs.IQueue;
  /** The `service` dimension of the backfill function's metrics. */
  readonly metricsService: string;
}

/** The operations alarms, by purpose; the real-time and backfill ones exist when those are deployed. */
export type OperationsAlarms = Readonly<
  Record<'errors' | 'throttles' | 'dlqDepth' | 'dlqAge' | 'noObjects', cloudwatch.Alarm> &
    Partial<
      Record<
        | 'realTimeErrors'
        | 'realTimeDlqDepth'
        | 'backfillErrors'
        | 'backfillDlqDepth'
        | 'liveThrottledDuringBackfill',
        cloudwatch.Alarm
      >
    >
>;

/** Properties of {@link Operations}. */
export interface OperationsProps {
  /** The ingest function. */
  readonly function: lambda.IFunction;
  /** Its dead-letter queue. */
  readonly deadLetterQueue: sqs.IQueue;
  /** The real-time function and its dead-letter queue, when `realTimeAlerts` is on. @default - none */
  readonly realTime?: WatchedFunction;
  /** The distributed backfill, when `backfill.enabled`. @default - none */
  readonly backfill?: WatchedBackfill;
  /** Minutes without a processed object after which the trail is considered stopped. */
  readonly noObjectsAlarmMinutes: number;
  /** Addresses subscribed to the operations topic. */
  readonly opsEmails: readonly string[];
  /** Dashboard name. */
  readonly dashboardName: string;
}

function trailwatchMetric(
  metricName: string,
  options: {
    statistic?: string;
    period?: Duration;
    label?: string;
    dimensions?: Record<string, string>;
  } = {},
) {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { ...SERVICE_DIMENSION, ...options.dimensions },
    statistic: options.statistic ?? 'Sum',
    period: options.period ?? Duration.minutes(5),
    label: options.label,
  });
}

const FIVE_MINUTES = Duration.minutes(5);

// The messages waiting in a queue, at their most in each period.
function dlqDepth(queue: sqs.IQueue, label?: string): cloudwatch.Metric {
  return queue.metricApproximateNumberOfMessagesVisible({
    period: FIVE_MINUTES,
    statistic: 'Maximum',
    ...(label !== undefined ? { label } : {}),
  });
}

/**
 * What an operator needs: alarms (function errors and throttles, dead-letter depth and age, and no
 * processed object for a while, i.e. the trail stopped delivering) sent to an encrypted operations
 * topic, and a dashboard of the pipeline's metrics.
 */
export class Operations extends Construct {
  /** Where alarms go. */
  public readonly topic: EncryptedTopic;
  /** The alarms, by purpose. */
  public readonly alarms: OperationsAlarms;
  /** The dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    this.topic = new EncryptedTopic(this, 'Topic', {
      displayName: 'trailwatch operations',
      purpose: 'operations alarm',
      emails: props.opsEmails.map((email) => ({ email })),
    });

    const fiveMinutes = Duration.minutes(5);
    // "It happened at least once in five minutes"; no data means it did not happen.
    const onAnyOccurrence = (id: string, metric: cloudwatch.IMetric, description: string) =>
      new cloudwatch.Alarm(this, id, {
        metric,
        alarmDescription: description,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    const alarms: OperationsAlarms = {
      errors: onAnyOccurrence(
        'FunctionErrors',
        props.function.metricErrors({ period: fiveMinutes, statistic: 'Sum' }),
        'trailwatch: the ingest function failed (each failure is retried, then kept in the dead-letter queue).',
      ),
      throttles: onAnyOccurrence(
        'FunctionThrottles',
        props.function.metricThrottles({ period: fiveMinutes, statistic: 'Sum' }),
        'trailwatch: the ingest function was throttled (account concurrency or reservedConcurrency too low).',
      ),
      dlqDepth: onAnyOccurrence(
        'DeadLetterDepth',
        dlqDepth(props.deadLetterQueue),
        'trailwatch: log files failed after every retry; inspect and replay the dead-letter queue.',
      ),
      dlqAge: props.deadLetterQueue
        .metricApproximateAgeOfOldestMessage({ period: fiveMinutes, statistic: 'Maximum' })
        .createAlarm(this, 'DeadLetterAge', {
          // Retention is 14 days: two days unattended leaves time to replay before records are lost.
          alarmDescription:
            'trailwatch: a dead-letter record is older than 2 days; replay it before it expires (14 days).',
          threshold: Duration.days(2).toSeconds(),
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      noObjects: trailwatchMetric('ObjectsProcessed', {
        period: Duration.minutes(props.noObjectsAlarmMinutes),
      }).createAlarm(this, 'NoObjectsProcessed', {
        alarmDescription: `trailwatch: no log file processed for ${props.noObjectsAlarmMinutes} minutes; the trail may have stopped delivering or the trigger is broken.`,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        // No datapoint at all is exactly the failure this alarm is for.
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      }),
      ...(props.realTime !== undefined
        ? {
            realTimeErrors: onAnyOccurrence(
              'RealTimeFunctionErrors',
              props.realTime.function.metricErrors({ period: fiveMinutes, statistic: 'Sum' }),
              'trailwatch: the real-time function failed (retried, then kept in its dead-letter queue; the log files still alert).',
            ),
            realTimeDlqDepth: onAnyOccurrence(
              'RealTimeDeadLetterDepth',
              dlqDepth(props.realTime.deadLetterQueue),
              'trailwatch: real-time events failed after every retry; their log files alert them later. Inspect the RealTimeDeadLetterQueueUrl queue.',
            ),
          }
        : {}),
      ...(props.backfill !== undefined ? this.backfillAlarms(props.backfill, onAnyOccurrence) : {}),
    };
    const alarmList = Object.values(alarms).filter((a): a is cloudwatch.Alarm => a !== undefined);
    const action = new actions.SnsAction(this.topic.topic);
    for (const alarm of alarmList) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
    this.alarms = alarms;
    const stack = Stack.of(this);
    // Only these alarms publish: exact ARNs in the topic policy, this account's alarms in the key policy.
    this.topic.allowServicePublish({
      service: 'cloudwatch.amazonaws.com',
      sourceArns: alarmList.map((alarm) => alarm.alarmArn),
      sourceArnPattern: `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:*`,
    });

    const perService = (metricName: string) =>
      WATCHED_SERVICES.map((service) =>
        trailwatchMetric(metricName, { dimensions: { WatchedService: service }, label: service }),
      );
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.days(1),
      widgets: [
        [
          new cloudwatch.GraphWidget({
            title: 'Events stored per service',
            left: perService('EventsStored'),
            stacked: true,
            width: 12,
          }),
          new cloudwatch.GraphWidget({
            title: 'Failed calls per service',
            left: perService('FailedCalls'),
            stacked: true,
            width: 12,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Alerts',
            left: [
              trailwatchMetric('AlertsSent', { label: 'SNS messages sent' }),
              trailwatchMetric('AlertsSuppressed', { label: 'events suppressed' }),
            ],
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Objects processed and skipped',
            left: [
              trailwatchMetric('ObjectsProcessed', { label: 'processed' }),
              // One line per skip reason, whatever reasons the function reports.
              new cloudwatch.MathExpression({
                expression: `SEARCH('{${METRICS_NAMESPACE},Reason,service} MetricName="ObjectsSkipped" service="trailwatch"', 'Sum', 300)`,
                label: 'skipped',
                period: fiveMinutes,
              }),
            ],
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Duration per object / invocation (ms)',
            left: [
              trailwatchMetric('ObjectDuration', { statistic: 'Average', label: 'object avg' }),
              trailwatchMetric('ObjectDuration', { statistic: 'p99', label: 'object p99' }),
              props.function.metricDuration({
                statistic: 'Maximum',
                period: fiveMinutes,
                label: 'invocation max',
              }),
            ],
            width: 8,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            // How late alerts are, per path: seconds from the first call of each alert to its publish.
            title: 'Call-to-alert latency (s)',
            left: (['EventBridge', 'S3'] as const).flatMap((path) => [
              trailwatchMetric('AlertLatency', {
                statistic: 'p50',
                label: `${path} p50`,
                dimensions: { Path: path },
              }),
              trailwatchMetric('AlertLatency', {
                statistic: 'Maximum',
                label: `${path} max`,
                dimensions: { Path: path },
              }),
            ]),
            leftYAxis: { min: 0, label: 'seconds', showUnits: false },
            width: 24,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Function errors and throttles',
            left: [
              props.function.metricErrors({ period: fiveMinutes }),
              props.function.metricThrottles({ period: fiveMinutes }),
            ],
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Dead-letter queue',
            left: [
              props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
                period: fiveMinutes,
                statistic: 'Maximum',
              }),
            ],
            right: [
              props.deadLetterQueue.metricApproximateAgeOfOldestMessage({
                period: fiveMinutes,
                statistic: 'Maximum',
              }),
            ],
            width: 8,
          }),
          new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: alarmList, width: 8 }),
        ],
        ...(props.backfill !== undefined ? [backfillRow(props.backfill)] : []),
      ],
    });
  }

  // The backfill's own failures, and the one thing a backfill must never do: throttle the live path.
  private backfillAlarms(
    backfill: WatchedBackfill,
    onAnyOccurrence: (id: string, metric: cloudwatch.IMetric, description: string) => cloudwatch.Alarm,
  ): Pick<OperationsAlarms, 'backfillErrors' | 'backfillDlqDepth' | 'liveThrottledDuringBackfill'> {
    return {
      backfillErrors: onAnyOccurrence(
        'BackfillFunctionErrors',
        backfill.function.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }),
        'trailwatch: the backfill function failed an invocation (its message returns to the queue; after 5 receives it moves to the backfill dead-letter queue).',
      ),
      backfillDlqDepth: onAnyOccurrence(
        'BackfillDeadLetterDepth',
        dlqDepth(backfill.deadLetterQueue),
        'trailwatch: backfill batches failed every receive; read the backfill function log, fix the cause, then move them back to the queue (docs/operations.md).',
      ),
      liveThrottledDuringBackfill: onAnyOccurrence(
        'LiveThrottledDuringBackfill',
        liveThrottledWhileBackfilling(backfill),
        'trailwatch: the live ingest function had writes throttled while backfill batches were in flight; lower the backfill maxConcurrency or stop it (docs/operations.md, Distributed backfill).',
      ),
    };
  }
}

// The live path's throttled writes, counted only in periods when backfill messages are being processed.
function liveThrottledWhileBackfilling(backfill: WatchedBackfill): cloudwatch.MathExpression {
  return new cloudwatch.MathExpression({
    expression: 'IF(FILL(inFlight, 0) > 0, FILL(liveThrottled, 0), 0)',
    usingMetrics: {
      liveThrottled: trailwatchMetric('ThrottledWrites', { period: FIVE_MINUTES }),
      inFlight: backfill.queue.metricApproximateNumberOfMessagesNotVisible({
        period: FIVE_MINUTES,
        statistic: 'Maximum',
      }),
    },
    label: 'live writes throttled while a backfill runs',
    period: FIVE_MINUTES,
  });
}

// The dashboard's backfill row: progress of the queue, failures, duration, and the two paths' throttling.
function backfillRow(backfill: WatchedBackfill): cloudwatch.IWidget[] {
  return [
    new cloudwatch.GraphWidget({
      title: 'Backfill queue',
      left: [
        dlqDepth(backfill.queue, 'waiting'),
        backfill.queue.metricApproximateNumberOfMessagesNotVisible({
          period: FIVE_MINUTES,
          statistic: 'Maximum',
          label: 'in flight',
        }),
      ],
      right: [dlqDepth(backfill.deadLetterQueue, 'dead-lettered')],
      width: 8,
    }),
    new cloudwatch.GraphWidget({
      title: 'Backfill function',
      left: [
        backfill.function.metricDuration({
          statistic: 'Average',
          period: FIVE_MINUTES,
          label: 'duration avg',
        }),
        backfill.function.metricDuration({
          statistic: 'Maximum',
          period: FIVE_MINUTES,
          label: 'duration max',
        }),
      ],
      right: [
        backfill.function.metricErrors({ period: FIVE_MINUTES, label: 'errors' }),
        trailwatchMetric('ObjectsProcessed', {
          dimensions: { service: backfill.metricsService },
          label: 'objects processed',
        }),
      ],
      width: 8,
    }),
    new cloudwatch.GraphWidget({
      title: 'Throttled writes: live vs backfill',
      left: [
        trailwatchMetric('ThrottledWrites', { label: 'live' }),
        trailwatchMetric('ThrottledWrites', {
          dimensions: { service: backfill.metricsService },
          label: 'backfill',
        }),
      ],
      width: 8,
    }),
  ];
}
