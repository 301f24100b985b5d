/** The scope an access token needs for the admin API (a client_credentials token of a client allowed it). */
export const ADMIN_SCOPE = 'admin';
