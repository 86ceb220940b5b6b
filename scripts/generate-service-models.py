#!/usr/bin/env python3
"""Builds trailwatch's resource and failure table from the AWS API models that botocore ships.

Run:    python3 scripts/generate-service-models.py [--out DIR]
Writes  lambdas/core/normalizers/service-models.generated.json          (the table, to read and review)
        lambdas/core/normalizers/service-models-deflated.generated.ts  (the same bytes deflated: what the
                                                                         normalizers load at run time)
and     test/fixtures/model-operations.json                              (one CloudTrail record per operation)
under the repository root, or under DIR (test/unit/service-models.test.ts checks the checked-in files
are what this script writes).

The knowledge lives in the CONFIG below: which member names (anywhere, or inside a named structure)
name which resource kind, and which words of an operation name say what the call is about. The script
applies it to every member path of every operation's input and output, at any depth, so the runtime
only walks precomputed paths. Re-run it when botocore's models change and review the diff.
"""
import base64
import json
import os
import re
import sys
import zlib

import botocore
import botocore.loaders

MAX_DEPTH = 7

# Per model: event source, primary kinds by operation name (first match wins), member names that name a
# kind anywhere, and (structure, member) pairs, which win over member names (None: names no resource).
# A top-level generic Name/Id/Names/Ids names the kind the operation is about, unless `notNamed` says
# that kind's name is only a display name.
CONFIG = {
    'glue': {
        'eventSource': 'glue.amazonaws.com',
        'service': 'glue',
        'primary': [
            (r'WorkflowRun', 'glue:workflow-run'),
            (r'Workflow', 'glue:workflow'),
            (r'JobRun|JobBookmark', 'glue:job-run'),
            (r'Crawl', 'glue:crawler'),
            (r'Trigger', 'glue:trigger'),
            (r'Connection(?!Type)', 'glue:connection'),
            (r'Session|Statement', 'glue:session'),
            (r'DevEndpoint', 'glue:dev-endpoint'),
            (r'MLTransform|MLTaskRun|MLLabels|MLEvaluation|LabelingSetGeneration', 'glue:ml-transform'),
            (r'BlueprintRun', 'glue:blueprint-run'),
            (r'Blueprint', 'glue:blueprint'),
            (r'UserDefinedFunction', 'glue:user-defined-function'),
            (r'DataQualityRuleset(?!Evaluation)', 'glue:data-quality-ruleset'),
            (r'DataQuality.*Run', 'glue:data-quality-run'),
            (r'SchemaVersion|Schema', 'glue:schema'),
            (r'Registry', 'glue:registry'),
            (r'SecurityConfiguration', 'glue:security-configuration'),
            (r'Classifier', 'glue:classifier'),
            (r'Integration', 'glue:integration'),
            (r'UsageProfile', 'glue:usage-profile'),
            (r'CustomEntityType', 'glue:custom-entity-type'),
            (r'Table|Partition|ColumnStatistics', 'glue:table'),
            (r'Database', 'glue:database'),
            (r'Job', 'glue:job'),
        ],
        'members': {
            'JobName': 'glue:job', 'JobNames': 'glue:job', 'DependentJobName': 'glue:job',
            'JobRunId': 'glue:job-run', 'JobRunIds': 'glue:job-run',
            'CrawlerName': 'glue:crawler', 'CrawlerNames': 'glue:crawler', 'CrawlerNameList': 'glue:crawler',
            'CrawlId': 'glue:crawl',
            'TriggerName': 'glue:trigger', 'TriggerNames': 'glue:trigger',
            'WorkflowName': 'glue:workflow', 'WorkflowRunId': 'glue:workflow-run',
            'ConnectionName': 'glue:connection', 'ConnectionNameList': 'glue:connection',
            'glueConnectionName': 'glue:connection', 'ConnectionsToDelete': 'glue:connection',
            'DatabaseName': 'glue:database', 'TableName': 'glue:table', 'TablesToDelete': 'glue:table',
            'SessionId': 'glue:session',
            'EndpointName': 'glue:dev-endpoint', 'DevEndpointNames': 'glue:dev-endpoint',
            'TransformId': 'glue:ml-transform', 'TransformIds': 'glue:ml-transform',
            'BlueprintName': 'glue:blueprint',
            'RulesetName': 'glue:data-quality-ruleset', 'RulesetNames': 'glue:data-quality-ruleset',
            'RulesetEvaluationRunId': 'glue:data-quality-run', 'RecommendationRunId': 'glue:data-quality-run',
            'ResultId': 'glue:data-quality-result', 'ResultIds': 'glue:data-quality-result',
            'SecurityConfiguration': 'glue:security-configuration',
            'IntegrationIdentifier': 'glue:integration',
            'ProfileName': 'glue:usage-profile',
        },
        # RunId / PreviousRunId name a job run or a workflow run, depending on where they are.
        'runs': {'RunId', 'PreviousRunId', 'StartingRunId'},
        'structs': {
            ('Job', 'Name'): 'glue:job', ('JobRun', 'Id'): 'glue:job-run',
            ('Crawler', 'Name'): 'glue:crawler', ('Trigger', 'Name'): 'glue:trigger',
            ('TriggerUpdate', 'Name'): 'glue:trigger', ('Workflow', 'Name'): 'glue:workflow',
            ('WorkflowRun', 'Name'): 'glue:workflow', ('Database', 'Name'): 'glue:database',
            ('DatabaseInput', 'Name'): 'glue:database', ('Table', 'Name'): 'glue:table',
            ('TableInput', 'Name'): 'glue:table', ('Connection', 'Name'): 'glue:connection',
            ('ConnectionInput', 'Name'): 'glue:connection', ('ConnectionsList', 'Connections'): 'glue:connection',
            ('CatalogTarget', 'Tables'): 'glue:table', ('Session', 'Id'): 'glue:session',
            ('Blueprint', 'Name'): 'glue:blueprint', ('MLTransform', 'TransformId'): 'glue:ml-transform',
            ('SecurityConfiguration', 'Name'): 'glue:security-configuration',
            ('BlueprintRun', 'RunId'): 'glue:blueprint-run',
            ('UserDefinedFunction', 'FunctionName'): 'glue:user-defined-function',
            ('UserDefinedFunctionInput', 'FunctionName'): 'glue:user-defined-function',
            # An ML transform's "find matches" task run id, not a job run.
            ('FindMatchesTaskRunProperties', 'JobRunId'): None,
            ('CrawlerMetrics', 'CrawlerName'): 'glue:crawler',
            ('SchemaId', 'SchemaName'): 'glue:schema', ('RegistryId', 'RegistryName'): 'glue:registry',
            ('SchemaListItem', 'SchemaName'): 'glue:schema', ('RegistryListItem', 'RegistryName'): 'glue:registry',
        },
        # Schema-registry names only where the registry API puts them: elsewhere (a job's Athena source)
        # `SchemaName` is a database schema.
        # The same for `FunctionName`: in a job's DynamicTransform node it is a Python function.
        'topMembers': {'SchemaName': 'glue:schema', 'RegistryName': 'glue:registry',
                       'FunctionName': 'glue:user-defined-function'},
        # A run's calls name their workflow (or job) with the generic `Name`.
        'nameOf': {'glue:workflow-run': 'glue:workflow', 'glue:job-run': 'glue:job',
                   'glue:blueprint-run': 'glue:blueprint'},
        'notNamed': {'glue:ml-transform', 'glue:data-quality-run'},
        'structRuns': {'JobRun': 'glue:job-run', 'WorkflowRun': 'glue:workflow-run',
                       'BlueprintDetails': 'glue:blueprint-run',
                       'JobBookmarkEntry': 'glue:job-run', 'Predecessor': 'glue:job-run'},
    },
    'emr': {
        'eventSource': 'elasticmapreduce.amazonaws.com',
        'service': 'emr',
        'primary': [
            (r'Step', 'emr:step'),
            (r'NotebookExecution', 'emr:notebook-execution'),
            (r'Studio', 'emr:studio'),
            (r'InstanceGroup', 'emr:instance-group'),
            (r'InstanceFleet', 'emr:instance-fleet'),
            (r'SecurityConfiguration', 'emr:security-configuration'),
            (r'PersistentAppUI', 'emr:persistent-app-ui'),
            (r'Cluster|JobFlow|Instance|BootstrapAction|AutoScaling|AutoTermination|ManagedScaling'
             r'|Release|OnClusterAppUI|Tags|ClusterSessionCredentials|Supported', 'emr:cluster'),
        ],
        'members': {
            'ClusterId': 'emr:cluster', 'JobFlowId': 'emr:cluster', 'JobFlowIds': 'emr:cluster',
            'ClusterIds': 'emr:cluster', 'ExecutionEngineId': 'emr:cluster',
            'StepId': 'emr:step', 'StepIds': 'emr:step',
            'StudioId': 'emr:studio', 'NotebookExecutionId': 'emr:notebook-execution',
            'InstanceGroupId': 'emr:instance-group', 'InstanceGroupIds': 'emr:instance-group',
            'InstanceFleetId': 'emr:instance-fleet', 'EditorId': 'emr:notebook',
            'PersistentAppUIId': 'emr:persistent-app-ui',
            # AddTags / RemoveTags take a cluster or a studio id: the id's prefix tells which.
            'ResourceId': 'emr:cluster-or-studio',
        },
        'structs': {
            ('Cluster', 'Id'): 'emr:cluster', ('ClusterSummary', 'Id'): 'emr:cluster',
            ('ExecutionEngineConfig', 'Id'): 'emr:cluster', ('Step', 'Id'): 'emr:step',
            ('StepSummary', 'Id'): 'emr:step', ('InstanceGroup', 'Id'): 'emr:instance-group',
            ('InstanceFleet', 'Id'): 'emr:instance-fleet',
            ('SecurityConfigurationSummary', 'Name'): 'emr:security-configuration',
            # Elsewhere (CreateSecurityConfiguration) `SecurityConfiguration` is the JSON document itself.
            ('RunJobFlowInput', 'SecurityConfiguration'): 'emr:security-configuration',
            ('Cluster', 'SecurityConfiguration'): 'emr:security-configuration',
        },
        # A cluster's, a studio's or a step's `Name` is a display name; they have ids.
        'notNamed': {'emr:cluster', 'emr:studio', 'emr:step', 'emr:notebook-execution', 'emr:instance-group',
                     'emr:instance-fleet', 'emr:persistent-app-ui'},
    },
    'athena': {
        'eventSource': 'athena.amazonaws.com',
        'service': 'athena',
        'primary': [
            (r'QueryExecution|QueryResults|QueryRuntimeStatistics', 'athena:query-execution'),
            (r'NamedQuer', 'athena:named-query'),
            (r'PreparedStatement', 'athena:prepared-statement'),
            (r'CapacityReservation|CapacityAssignment', 'athena:capacity-reservation'),
            (r'WorkGroup', 'athena:workgroup'),
            (r'DataCatalog', 'athena:data-catalog'),
            (r'Notebook', 'athena:notebook'),
            (r'Calculation', 'athena:calculation'),
            (r'Session', 'athena:session'),
        ],
        'members': {
            'QueryExecutionId': 'athena:query-execution', 'QueryExecutionIds': 'athena:query-execution',
            'NamedQueryId': 'athena:named-query', 'NamedQueryIds': 'athena:named-query',
            'StatementName': 'athena:prepared-statement', 'PreparedStatementNames': 'athena:prepared-statement',
            'CapacityReservationName': 'athena:capacity-reservation',
            'WorkGroup': 'athena:workgroup', 'WorkGroupName': 'athena:workgroup',
            'WorkGroupNames': 'athena:workgroup',
            'CatalogName': 'athena:data-catalog', 'NotebookId': 'athena:notebook',
            'SessionId': 'athena:session', 'CalculationExecutionId': 'athena:calculation',
            'DatabaseName': 'athena:database', 'TableName': 'athena:table',
        },
        'structs': {
            ('QueryExecutionContext', 'Catalog'): 'athena:data-catalog',
            ('WorkGroup', 'Name'): 'athena:workgroup', ('WorkGroupSummary', 'Name'): 'athena:workgroup',
            ('DataCatalog', 'Name'): 'athena:data-catalog', ('DataCatalogSummary', 'CatalogName'): 'athena:data-catalog',
            ('CapacityReservation', 'Name'): 'athena:capacity-reservation',
            ('Database', 'Name'): 'athena:database', ('TableMetadata', 'Name'): 'athena:table',
            # Result-set column metadata names where a column came from, not a resource of the call.
            ('ColumnInfo', 'CatalogName'): None, ('ColumnInfo', 'TableName'): None,
        },
        # Generic names that are display names, not ids: a named query's or a notebook's `Name`.
        'notNamed': {'athena:named-query', 'athena:notebook', 'athena:query-execution'},
    },
    'batch': {
        'eventSource': 'batch.amazonaws.com',
        'service': 'batch',
        'primary': [
            (r'JobQueue', 'batch:job-queue'),
            (r'ComputeEnvironment', 'batch:compute-environment'),
            (r'JobDefinition', 'batch:job-definition'),
            (r'SchedulingPolic', 'batch:scheduling-policy'),
            (r'ConsumableResource', 'batch:consumable-resource'),
            (r'ServiceEnvironment', 'batch:service-environment'),
            (r'QuotaShare', 'batch:quota-share'),
            (r'Job', 'batch:job'),
        ],
        'members': {
            'jobId': 'batch:job', 'jobArn': 'batch:job', 'arrayJobId': 'batch:job',
            'jobQueue': 'batch:job-queue', 'jobQueueName': 'batch:job-queue', 'jobQueueArn': 'batch:job-queue',
            'jobQueues': 'batch:job-queue',
            'computeEnvironment': 'batch:compute-environment',
            'computeEnvironmentName': 'batch:compute-environment',
            'computeEnvironmentArn': 'batch:compute-environment',
            'computeEnvironments': 'batch:compute-environment',
            'jobDefinition': 'batch:job-definition', 'jobDefinitionName': 'batch:job-definition',
            'jobDefinitionArn': 'batch:job-definition', 'jobDefinitions': 'batch:job-definition',
            'schedulingPolicyArn': 'batch:scheduling-policy',
            'consumableResource': 'batch:consumable-resource',
            'consumableResourceName': 'batch:consumable-resource',
            'consumableResourceArn': 'batch:consumable-resource',
            'serviceEnvironment': 'batch:service-environment',
            'serviceEnvironmentName': 'batch:service-environment',
            'serviceEnvironmentArn': 'batch:service-environment',
            'serviceEnvironments': 'batch:service-environment',
            'quotaShareName': 'batch:quota-share', 'quotaShareArn': 'batch:quota-share',
        },
        'structs': {
            ('DescribeJobsRequest', 'jobs'): 'batch:job',
            ('DescribeSchedulingPoliciesRequest', 'arns'): 'batch:scheduling-policy',
            ('SchedulingPolicyDetail', 'arn'): 'batch:scheduling-policy',
            ('SchedulingPolicyListingDetail', 'arn'): 'batch:scheduling-policy',
        },
        # DeleteSchedulingPolicy / UpdateSchedulingPolicy take `arn`, CreateSchedulingPolicy `name`.
        'genericArn': True,
    },
    'emr-serverless': {
        'eventSource': 'emr-serverless.amazonaws.com',
        'service': 'emr',
        'primary': [
            (r'JobRun', 'emr-serverless:job-run'),
            (r'Session', 'emr-serverless:session'),
            (r'Application|ResourceDashboard', 'emr-serverless:application'),
        ],
        'members': {
            'applicationId': 'emr-serverless:application', 'jobRunId': 'emr-serverless:job-run',
            'sessionId': 'emr-serverless:session',
        },
        'structs': {
            ('ApplicationSummary', 'id'): 'emr-serverless:application',
            ('JobRunSummary', 'id'): 'emr-serverless:job-run',
            ('SessionSummary', 'id'): 'emr-serverless:session',
        },
        'notNamed': {'emr-serverless:application', 'emr-serverless:job-run', 'emr-serverless:session'},
    },
    'emr-containers': {
        'eventSource': 'emr-containers.amazonaws.com',
        'service': 'emr',
        'primary': [
            (r'JobRun', 'emr-containers:job-run'),
            (r'ManagedEndpoint', 'emr-containers:managed-endpoint'),
            (r'JobTemplate', 'emr-containers:job-template'),
            (r'SecurityConfiguration', 'emr-containers:security-configuration'),
            (r'VirtualCluster', 'emr-containers:virtual-cluster'),
        ],
        'members': {
            'virtualClusterId': 'emr-containers:virtual-cluster',
            'virtualClusterIdentifier': 'emr-containers:virtual-cluster',
            'endpointIdentifier': 'emr-containers:managed-endpoint',
            'jobTemplateId': 'emr-containers:job-template',
            'securityConfigurationId': 'emr-containers:security-configuration',
        },
        'structs': {
            ('VirtualCluster', 'id'): 'emr-containers:virtual-cluster',
            ('JobRun', 'id'): 'emr-containers:job-run', ('Endpoint', 'id'): 'emr-containers:managed-endpoint',
            ('JobTemplate', 'id'): 'emr-containers:job-template',
            ('SecurityConfiguration', 'id'): 'emr-containers:security-configuration',
            # The id of the credentials handed out, not of the endpoint.
            ('GetManagedEndpointSessionCredentialsResponse', 'id'): None,
        },
        'notNamed': {k for k in ['emr-containers:job-run', 'emr-containers:managed-endpoint',
                                 'emr-containers:job-template', 'emr-containers:security-configuration',
                                 'emr-containers:virtual-cluster']},
    },
}

# Kinds whose generic `Name` is an id (the others are display names or have ids of their own).
NAMED_GENERIC = {'Name', 'Names', 'name'}
ID_GENERIC = {'Id', 'Ids', 'id'}
ARN_MEMBER = re.compile(r'(Arn|ARN|arn)s?$')
# Operations CloudTrail logs with a null responseElements (read-only calls).
NULL_RESPONSE = re.compile(r'^(Get|List|Describe|BatchGet|Search|Query)')
# A per-item failure list: named for failures, or a list/map of items that carry an error.
FAILURE_NAME = re.compile(r'^(Unprocessed|Failed|Failures$|Errors$|.*Errors$)')
ERROR_MEMBER = re.compile(r'^(Error|ErrorCode|ErrorMessage|ErrorDetail|ErrorDetails|FailureReason)$', re.I)
# Members of a response that describe the state of one resource: their error lists are state.
STATE_MEMBER = {'Status', 'State', 'status', 'state'}


def lower_camel(name):
    """CloudTrail writes model member names with a lower-case first letter."""
    return name[:1].lower() + name[1:]


def kind_of(cfg, op, primary, struct, member, top):
    structs = cfg.get('structs', {})
    if (struct, member) in structs:
        return structs[(struct, member)]
    if member in cfg['members']:
        return cfg['members'][member]
    if top and member in cfg.get('topMembers', {}):
        return cfg['topMembers'][member]
    if member in cfg.get('runs', ()):
        if struct in cfg.get('structRuns', {}):
            return cfg['structRuns'][struct]
        if primary in ('glue:workflow-run', 'glue:workflow'):
            return 'glue:workflow-run'
        if primary in ('glue:job-run', 'glue:job'):
            return 'glue:job-run'
        if primary in ('glue:blueprint-run', 'glue:data-quality-run'):
            return primary
        if primary == 'glue:data-quality-run':
            return 'glue:data-quality-run'
        return None
    if ARN_MEMBER.search(member):
        return 'arn'
    if top and primary is not None:
        if member in NAMED_GENERIC and primary not in cfg.get('notNamed', ()):
            return cfg.get('nameOf', {}).get(primary, primary)
        if member in ID_GENERIC:
            return primary
    return None


def string_leaf(shapes, shape_name):
    shape = shapes[shape_name]
    if shape['type'] == 'string':
        return True
    return shape['type'] == 'list' and shapes[shape['member']['shape']]['type'] == 'string'


def member_paths(shapes, cfg, op, primary, root):
    """(path, kind) for every member under `root` that names a resource, lists flattened, maps as `*`."""
    found = []

    def walk(shape_name, path, depth, seen):
        if depth > MAX_DEPTH or shape_name in seen:
            return
        shape = shapes[shape_name]
        seen = seen | {shape_name}
        if shape['type'] == 'list':
            walk(shape['member']['shape'], path, depth, seen)
        elif shape['type'] == 'map':
            walk(shape['value']['shape'], path + ['*'], depth + 1, seen)
        elif shape['type'] == 'structure':
            for member, ref in shape.get('members', {}).items():
                names = [member]
                if ref.get('location') in ('uri', 'querystring') and ref.get('locationName') not in (None, member):
                    names.append(ref['locationName'])
                if string_leaf(shapes, ref['shape']):
                    kind = kind_of(cfg, op, primary, shape_name, member, depth == 0)
                    if kind is not None:
                        for n in names:
                            found.append(('.'.join(path + [lower_camel(n)]), kind))
                else:
                    walk(ref['shape'], path + [lower_camel(member)], depth + 1, seen)

    walk(root, [], 0, frozenset())
    unique = []
    for entry in found:
        if entry not in unique:
            unique.append(entry)
    return unique


def failure_members(shapes, output):
    out = shapes[output]
    members = out.get('members', {})
    if STATE_MEMBER & set(members):
        return []
    result = []
    for member, ref in members.items():
        shape = shapes[ref['shape']]
        if shape['type'] not in ('list', 'map'):
            continue
        item = shapes[(shape.get('member') or shape.get('value'))['shape']]
        carries_error = item['type'] == 'structure' and any(ERROR_MEMBER.match(m) for m in item.get('members', {}))
        if member.startswith('Unprocessed') or (FAILURE_NAME.match(member) and carries_error):
            result.append(lower_camel(member))
    return result


def sample(shapes, shape_name, member, counter, depth, seen):
    """A value of the shape as a CloudTrail record would log it; ids are unique per record."""
    shape = shapes[shape_name]
    t = shape['type']
    if t == 'structure':
        if depth > 4 or shape_name in seen:
            return {}
        return {
            lower_camel(m): sample(shapes, r['shape'], m, counter, depth + 1, seen | {shape_name})
            for m, r in shape.get('members', {}).items()
        }
    if t == 'list':
        return [sample(shapes, shape['member']['shape'], member, counter, depth + 1, seen)]
    if t == 'map':
        return {'key1': sample(shapes, shape['value']['shape'], member, counter, depth + 1, seen)}
    if t == 'string':
        if 'enum' in shape:
            return shape['enum'][0]
        counter[0] += 1
        return f'{lower_camel(member)}-{counter[0]}'
    if t in ('integer', 'long'):
        return 1
    if t in ('double', 'float'):
        return 1.5
    if t == 'boolean':
        return True
    if t == 'timestamp':
        return 'Jan 1, 2024, 12:00:00 AM'
    if t == 'blob':
        return 'HIDDEN_DUE_TO_SECURITY_REASONS'
    return None


def record_request(shapes, input_shape, counter):
    if input_shape is None:
        return None
    shape = shapes[input_shape]
    request = {}
    for m, r in shape.get('members', {}).items():
        key = r.get('locationName', m) if r.get('location') in ('uri', 'querystring') else m
        if r.get('location') == 'header':
            continue
        request[lower_camel(key)] = sample(shapes, r['shape'], m, counter, 1, frozenset({input_shape}))
    return request


def required_identifiers(shapes, input_shape, output_shape, model_name):
    """Required top-level string members of the input that identify something (model facts, for the test).

    A required `name` of a call whose response carries an id (CreateStudio, RunJobFlow, CreateNamedQuery,
    EMR on EKS's Create* calls) is a display name: the service assigns the id. EC2 network ids are not
    resources of these services, and a Batch job's name is not unique (its id is the resource).
    """
    if input_shape is None:
        return []
    shape = shapes[input_shape]
    out_members = shapes[output_shape].get('members', {}) if output_shape else {}
    assigns_id = any(re.search(r'(^id|^Id|Id)$', m) for m in out_members)
    ids = []
    for m in shape.get('required', []):
        r = shape['members'][m]
        if not string_leaf(shapes, r['shape']):
            continue
        if re.search(r'(Name|Id|Identifier|Names|Ids)$|^(name|id|jobQueue|jobDefinition|computeEnvironment'
                     r'|consumableResource|serviceEnvironment|jobs|WorkGroup)$', m) is None:
            continue
        if re.search(r'^(CatalogId|ClientToken|clientToken|Catalog|RoleArn|ExecutionRoleArn|executionRoleArn'
                     r'|ColumnName|ColumnNames|ColumnNameList|PartitionValues|AccountId|Names|ResourceId|Ids'
                     r'|IdentityName|IdentityId|UniqueId|TaskRunId)$', m):
            continue
        if m in ('name', 'Name') and assigns_id:
            continue
        if re.search(r'(Vpc|Subnet|SecurityGroup)Ids?$', m) or (model_name == 'batch' and m == 'jobName'):
            continue
        key = r.get('locationName', m) if r.get('location') in ('uri', 'querystring') else m
        ids.append(lower_camel(key))
    return ids


def deflated_module(table_text):
    """The TypeScript module the normalizers load: the table's bytes raw-deflated and in base64.

    The JSON as a JavaScript object is 123 KB of the function's bundle; deflated it is 16 KB, and
    inflating it once at load takes about a millisecond. Level 9, raw (no zlib header): Node's
    inflateRawSync reads it; the same zlib writes the same bytes, so the test can compare them.
    """
    packer = zlib.compressobj(9, zlib.DEFLATED, -15, 9)
    deflated = packer.compress(table_text.encode('utf-8')) + packer.flush()
    return (
        '// Generated by scripts/generate-service-models.py from service-models.generated.json: do not edit.\n'
        '/** The model table (service-models.generated.json, UTF-8), raw-deflated (level 9), in base64. */\n'
        f"export const SERVICE_MODELS_DEFLATED =\n  '{base64.b64encode(deflated).decode('ascii')}';\n"
    )


def main():
    loader = botocore.loaders.Loader()
    table = {'botocore': botocore.__version__, 'models': {}}
    fixtures = {'botocore': botocore.__version__, 'operations': []}
    for model_name, cfg in CONFIG.items():
        model = loader.load_service_model(model_name, 'service-2')
        shapes = model['shapes']
        operations = {}
        by_member = {}
        generic = set()
        for op_name, op in sorted(model['operations'].items()):
            primary = next((k for p, k in cfg['primary'] if re.search(p, op_name)), None)
            input_shape = op.get('input', {}).get('shape')
            output_shape = op.get('output', {}).get('shape')
            req = member_paths(shapes, cfg, op_name, primary, input_shape) if input_shape else []
            res = member_paths(shapes, cfg, op_name, primary, output_shape) if output_shape else []
            fail = failure_members(shapes, output_shape) if output_shape else []
            entry = {}
            if primary:
                entry['p'] = primary
            if req:
                entry['req'] = req
            if res:
                entry['res'] = res
            if fail:
                entry['fail'] = fail
            operations[op_name] = entry
            for path, kind in req + res:
                if path in {lower_camel(g) for g in NAMED_GENERIC | ID_GENERIC}:
                    generic.add((primary, path, kind))
                elif '.' not in path:
                    by_member.setdefault(path, set()).add(kind)
            counter = [0]
            request = record_request(shapes, input_shape, counter)
            response = record_request(shapes, output_shape, counter) if output_shape else None
            fixtures['operations'].append({
                'model': model_name,
                'eventSource': cfg['eventSource'],
                'service': cfg['service'],
                'eventName': op_name,
                'requestParameters': request,
                'response': response or None,
                'loggedNull': bool(NULL_RESPONSE.match(op_name)),
                'identifiers': required_identifiers(shapes, input_shape, output_shape, model_name),
            })
        # For event names the models do not know yet: top-level members whose kind is the same everywhere,
        # and the kinds whose calls name their subject with a generic `name` / `id`.
        fallback = sorted([m, next(iter(k))] for m, k in by_member.items() if len(k) == 1)
        table['models'][model_name] = {
            'eventSource': cfg['eventSource'],
            'service': cfg['service'],
            'primary': [[p, k] for p, k in cfg['primary']],
            'fallback': fallback,
            'generic': sorted([list(g) for g in generic]),
            'operations': operations,
        }
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
    if len(sys.argv) == 3 and sys.argv[1] == '--out':
        root = sys.argv[2]
    elif len(sys.argv) != 1:
        print('usage: generate-service-models.py [--out DIR]', file=sys.stderr)
        sys.exit(2)
    for folder in ('lambdas/core/normalizers', 'test/fixtures'):
        os.makedirs(os.path.join(root, folder), exist_ok=True)
    table_text = json.dumps(table, separators=(',', ':'), sort_keys=False) + '\n'
    with open(os.path.join(root, 'lambdas/core/normalizers/service-models.generated.json'), 'w') as f:
        f.write(table_text)
    with open(os.path.join(root, 'lambdas/core/normalizers/service-models-deflated.generated.ts'), 'w') as f:
        f.write(deflated_module(table_text))
    with open(os.path.join(root, 'test/fixtures/model-operations.json'), 'w') as f:
        json.dump(fixtures, f, separators=(',', ':'))
        f.write('\n')
    print(f"{sum(len(m['operations']) for m in table['models'].values())} operations", file=sys.stderr)


if __name__ == '__main__':
    main()
