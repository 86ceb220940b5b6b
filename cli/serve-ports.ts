/** The ports `trailwatch local --serve` listens on by default (named in hints by other commands). */
export const SERVE_PORTS = { s3: 4568, dynamodb: 4567, sns: 4575, events: 4576 } as const;
