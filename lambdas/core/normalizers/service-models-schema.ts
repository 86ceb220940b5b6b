import * as z from 'zod';

// The shape of the generated model table (service-models.generated.json), for the test that validates it
// and for the types: service-models.ts reads the table without zod, which a thread would otherwise load
// at start only for these schemas.

const PathKindSchema = z.tuple([z.string(), z.string()]);

/** One operation of a model: primary kind, resource paths (dotted, `*` = every map value), failure members. */
export const ModelOperationSchema = z.object({
  p: z.string().optional(),
  req: z.array(PathKindSchema).optional(),
  res: z.array(PathKindSchema).optional(),
  fail: z.array(z.string()).optional(),
});

/** One AWS API model: its event source, the name rules and every operation. */
export const ServiceModelSchema = z.object({
  eventSource: z.string(),
  service: z.string(),
  /** `[regex, kind]`: the kind an event name is about; first match wins. */
  primary: z.array(PathKindSchema),
  /** `[member, kind]`: top-level members that name the same kind in every operation (for unknown event names). */
  fallback: z.array(PathKindSchema),
  /** `[primary kind, member, kind]`: generic `name` / `id` members (for unknown event names). */
  generic: z.array(z.tuple([z.string(), z.string(), z.string()])),
  operations: z.record(z.string(), ModelOperationSchema),
});

/** The generated file: the botocore version it was built from and one entry per model. */
export const ServiceModelsSchema = z.object({
  botocore: z.string(),
  models: z.record(z.string(), ServiceModelSchema),
});
/** The generated table's type. */
export type ServiceModels = z.infer<typeof ServiceModelsSchema>;
/** One model of the table. */
export type ServiceModel = z.infer<typeof ServiceModelSchema>;
