import { Match } from 'aws-cdk-lib/assertions';
import { parseTrailwatchConfig } from '../../lib/config';
import { StrictAwsSolutionsChecks } from '../../lib/nag';
import { buildStack } from './synth';

const SLACK = { workspaceId: 'T012ABCDEFG', channelId: 'C0123456789' };
const TEAMS = {
  teamId: '6f9e2c1a-1b2c-4d3e-8f4a-5b6c7d8e9f01',
  tenantId: '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
  channelId: '19%3a0123456789abcdef0123456789abcdef%40thread.tacv2',
};
const CHANNELS = { slackChannels: [SLACK], teamsChannels: [{ ...TEAMS, name: 'oncall-teams' }] };

describe('chat channels (Amazon Q Developer in chat applications)', () => {
  // One synth of the stack with channels for the assertions on it (a synth takes seconds).
  let built: ReturnType<typeof buildStack>;
  beforeAll(() => {
    built = buildStack(CHANNELS);
  });

  test('none configured: no chat topic, no channel, and the function gets no CHAT_TOPIC_ARN', () => {
    // Act
    const { template } = buildStack({});

    // Assess: protects "chat is optional": a stack without channels pays for no extra topic or key.
    template.resourceCountIs('AWS::Chatbot::SlackChannelConfiguration', 0);
    template.resourceCountIs('AWS::Chatbot::MicrosoftTeamsChannelConfiguration', 0);
    template.resourceCountIs('AWS::SNS::Topic', 2); // alerts and operations
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.not(Match.objectLike({ CHAT_TOPIC_ARN: Match.anyValue() })) },
    });
    expect(Object.keys(template.findOutputs('ChatTopicArn'))).toEqual([]);
  });

  test('Slack and Teams channels subscribe to the chat topic, which the function publishes to', () => {
    // Act
    const { stack, template } = built;
    const chat = stack.chat;
    if (!chat) throw new Error('no chat channels built');
    const ref = (construct: { node: { defaultChild?: unknown } }) =>
      stack.getLogicalId(construct.node.defaultChild as never);
    const topic = { Ref: ref(chat.topic.topic) };
    const role = { 'Fn::GetAtt': [ref(chat.role), 'Arn'] };
    const guardrail = { Ref: ref(chat.guardrail) };

    // Assess: protects that both channels read the chat topic (not the alert topic: they only render
    // the custom notification format) with the read-only role and guardrail.
    template.hasResourceProperties('AWS::Chatbot::SlackChannelConfiguration', {
      ConfigurationName: 'Trailwatch-slack-C0123456789',
      SlackWorkspaceId: 'T012ABCDEFG',
      SlackChannelId: 'C0123456789',
      SnsTopicArns: [topic],
      IamRoleArn: role,
      GuardrailPolicies: [guardrail],
      UserRoleRequired: false,
      LoggingLevel: 'ERROR',
    });
    template.hasResourceProperties('AWS::Chatbot::MicrosoftTeamsChannelConfiguration', {
      ConfigurationName: 'oncall-teams',
      TeamId: TEAMS.teamId,
      TeamsTenantId: TEAMS.tenantId,
      TeamsChannelId: TEAMS.channelId,
      SnsTopicArns: [topic],
      IamRoleArn: role,
      GuardrailPolicies: [guardrail],
      UserRoleRequired: false,
    });
    // The chat topic is encrypted and TLS-only like the alert topic.
    template.hasResourceProperties('AWS::SNS::Topic', {
      DisplayName: 'trailwatch chat alerts',
      KmsMasterKeyId: Match.anyValue(),
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ CHAT_TOPIC_ARN: topic }) },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'sns:Publish', Effect: 'Allow', Resource: topic }),
        ]),
      },
    });
    expect(template.findOutputs('ChatTopicArn').ChatTopicArn?.Value).toEqual(topic);
  });

  test('the channels can do nothing in AWS: a role without policies, capped by a deny-all guardrail', () => {
    // Act
    const { stack, template } = built;
    const chat = stack.chat;
    if (!chat) throw new Error('no chat channels built');
    const roleId = stack.getLogicalId(chat.role.node.defaultChild as never);

    // Assess: protects "no AWS permissions beyond reading notifications" (a channel member cannot run
    // commands through the chat, and a user role turned on later is capped by the guardrail too).
    const roles = template.findResources('AWS::IAM::Role');
    expect(roles[roleId]?.Properties).toEqual({
      AssumeRolePolicyDocument: {
        Statement: [
          { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'chatbot.amazonaws.com' } },
        ],
        Version: '2012-10-17',
      },
      Description: expect.stringContaining('no AWS permissions'),
    });
    const attached = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p.Properties?.Roles ?? []).includes(roleId),
    );
    expect(attached).toEqual([]);
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: [{ Action: '*', Effect: 'Deny', Resource: '*' }] },
    });
  });

  test('cdk-nag finds nothing in a stack with chat channels', () => {
    // Act
    const report = new StrictAwsSolutionsChecks().validateScope(built.app);
    // Assess: protects "cdk-nag clean" for the chat resources, warnings included.
    expect(report.violations.map((v) => v.ruleName)).toEqual([]);
  });

  test.each([
    [
      { slackChannels: [{ workspaceId: 'acme', channelId: '#oncall' }] },
      [
        'slackChannels[0].workspaceId: expected the Slack workspace id (like T012ABCDEFG; the chat service console shows it) (got "acme")',
        'slackChannels[0].channelId: expected the Slack channel id (like C0123456789; channel details in Slack), not its name (got "#oncall")',
      ],
    ],
    [
      { teamsChannels: [{ ...TEAMS, channelId: '19:abc@thread.tacv2' }] },
      [
        'teamsChannels[0].channelId: expected the channel id as the channel link has it, URL-encoded (19%3a...%40thread.tacv2) (got "19:abc@thread.tacv2")',
      ],
    ],
    [
      { slackChannels: [SLACK, { ...SLACK }] },
      ['slackChannels[1]: this channel is listed twice; list it once'],
    ],
    [
      { slackChannels: [{ ...SLACK, name: 'oncall' }], teamsChannels: [{ ...TEAMS, name: 'oncall' }] },
      ['teamsChannels[0].name: oncall is also the name of slackChannels[0]; names must be unique'],
    ],
    [
      { slackChannels: [SLACK], alertsEnabled: false },
      ['slackChannels/teamsChannels: alertsEnabled is false, so no alert would reach them'],
    ],
    [{ slackChannels: [{ ...SLACK, channel: 'x' }] }, ['slackChannels[0]: Unrecognized key: "channel"']],
  ])('a bad chat setting fails the synth naming the key: %j', (config, problems) => {
    // Act
    const parse = () => parseTrailwatchConfig(config);
    // Assess: protects "config keys validated at synth", every problem listed with its key.
    expect(parse).toThrow(problems.map((p) => `  - ${p}`).join('\n'));
  });

  test('channels given with cdk -c as JSON strings are read', () => {
    // Act
    const config = parseTrailwatchConfig({ slackChannels: JSON.stringify([SLACK]) });
    // Assess
    expect(config.slackChannels).toEqual([SLACK]);
    expect(config.teamsChannels).toEqual([]);
  });
});
