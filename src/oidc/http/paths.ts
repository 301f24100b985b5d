/** The authorization endpoint's path; a sign-in may only continue to it (no open redirect through /login). */
export const AUTHORIZE_PATH = '/oauth/authorize';

/** Where a sign-in's second step is asked for. */
export const SECOND_STEP_PATH = '/login/second-step';
