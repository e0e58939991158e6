/** The resolved Temporal address (embedded or external), provided to the Temporal module. */
export const TEMPORAL_ADDRESS = Symbol('TEMPORAL_ADDRESS');
/** Path to a prebuilt workflow bundle (tests build it once per run); absent: bundle at worker start. */
export const WORKFLOW_BUNDLE_PATH = Symbol('WORKFLOW_BUNDLE_PATH');
