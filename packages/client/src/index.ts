export * from '../../../lambdas/query';
