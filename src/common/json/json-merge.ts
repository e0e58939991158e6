// JSON helpers live with the workflow code (no Node imports) so that workflows and the API share them.
export * from '../../../workflows/shared/json';
