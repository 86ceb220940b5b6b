import * as chatbot from 'aws-cdk-lib/aws-chatbot';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { EncryptedTopic } from './alert-topic';

/** A Slack channel that receives the chat alerts. */
export interface SlackChannel {
  /** The Slack workspace (team) id, e.g. `T012ABCDEFG`, as the chat service's console shows it once authorized. */
  readonly workspaceId: string;
  /** The channel id, e.g. `C0123456789` (channel details in Slack); invite the app to a private channel first. */
  readonly channelId: string;
  /**
   * Name of the channel configuration.
   * @default - `<stack name>-slack-<channel id>`
   */
  readonly name?: string;
}

/** A Microsoft Teams channel that receives the chat alerts. */
export interface TeamsChannel {
  /** The team id (a UUID, from the channel link's `groupId`). */
  readonly teamId: string;
  /** The Microsoft Entra tenant id (a UUID, from the channel link's `tenantId`). */
  readonly tenantId: string;
  /** The channel id as it appears URL-encoded in the channel link, e.g. `19%3a...%40thread.tacv2`. */
  readonly channelId: string;
  /**
   * Name of the channel configuration.
   * @default - `<stack name>-teams-<n>`
   */
  readonly name?: string;
}

/** Properties of {@link ChatChannels}. */
export interface ChatChannelsProps {
  /** Slack channels subscribed to the chat topic. */
  readonly slack: readonly SlackChannel[];
  /** Teams channels subscribed to the chat topic. */
  readonly teams: readonly TeamsChannel[];
  /** Prefix of the default configuration names (the stack name). */
  readonly namePrefix: string;
}

/**
 * The chat topic and the chat service's channel configurations subscribed to it (Amazon Q Developer in
 * chat applications, formerly AWS Chatbot). The channels only read notifications: their role has no
 * policy and their guardrail denies every action, so nobody in a channel can run AWS commands through
 * it (custom notifications need no permissions to be shown).
 */
export class ChatChannels extends Construct {
  /** The topic the ingest function publishes the chat form of each alert to. */
  public readonly topic: EncryptedTopic;
  /** The role every channel configuration uses (no policies). */
  public readonly role: iam.Role;
  /** The guardrail of every channel configuration: denies everything. */
  public readonly guardrail: iam.ManagedPolicy;
  /** The Slack channel configurations, in the order given. */
  public readonly slackChannels: chatbot.SlackChannelConfiguration[] = [];
  /** The Teams channel configurations, in the order given. */
  public readonly teamsChannels: chatbot.CfnMicrosoftTeamsChannelConfiguration[] = [];

  constructor(scope: Construct, id: string, props: ChatChannelsProps) {
    super(scope, id);
    this.topic = new EncryptedTopic(this, 'Topic', {
      displayName: 'trailwatch chat alerts',
      purpose: 'chat alert',
    });
    this.role = new iam.Role(this, 'ChannelRole', {
      assumedBy: new iam.ServicePrincipal('chatbot.amazonaws.com'),
      description: 'trailwatch chat channels: shows notifications only, no AWS permissions',
    });
    // A guardrail caps what any role used from the channel may do; this one allows nothing, so even a
    // channel member's own role (were user roles turned on in the console) cannot act through the chat.
    this.guardrail = new iam.ManagedPolicy(this, 'Guardrail', {
      description: 'trailwatch chat channels: no AWS action from the chat (notifications need none)',
      statements: [new iam.PolicyStatement({ effect: iam.Effect.DENY, actions: ['*'], resources: ['*'] })],
    });

    props.slack.forEach((channel, i) => {
      this.slackChannels.push(
        new chatbot.SlackChannelConfiguration(this, `Slack${i}`, {
          slackChannelConfigurationName: (
            channel.name ?? `${props.namePrefix}-slack-${channel.channelId}`
          ).slice(0, 128),
          slackWorkspaceId: channel.workspaceId,
          slackChannelId: channel.channelId,
          notificationTopics: [this.topic.topic],
          role: this.role,
          guardrailPolicies: [this.guardrail],
          userRoleRequired: false,
          loggingLevel: chatbot.LoggingLevel.ERROR,
        }),
      );
    });
    props.teams.forEach((channel, i) => {
      this.teamsChannels.push(
        new chatbot.CfnMicrosoftTeamsChannelConfiguration(this, `Teams${i}`, {
          configurationName: channel.name ?? `${props.namePrefix}-teams-${i + 1}`,
          teamId: channel.teamId,
          teamsChannelId: channel.channelId,
          teamsTenantId: channel.tenantId,
          snsTopicArns: [this.topic.topic.topicArn],
          iamRoleArn: this.role.roleArn,
          guardrailPolicies: [this.guardrail.managedPolicyArn],
          userRoleRequired: false,
          loggingLevel: 'ERROR',
        }),
      );
    });
  }
}
