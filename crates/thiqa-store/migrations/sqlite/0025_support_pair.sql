-- Who asks for support access does not answer the bastion nor record its
-- sessions (3.5.7): the pair new providers get by default (default_pairs),
-- given to the providers made before it — except where an account already
-- holds both: taking a right away is an administrator's decision, who
-- declares the pair once that account is settled.
INSERT INTO incompatible_pairs (tenant_kind, tenant_id, first_permission, second_permission, reason, created_at)
SELECT 'provider', p.id, 'support.request', 'support.enforce',
    'who asks for support access does not answer the bastion nor record its sessions (3.5.7)',
    CAST(strftime('%s', 'now') AS INTEGER)
FROM providers p
WHERE NOT EXISTS (SELECT 1 FROM incompatible_pairs x WHERE x.tenant_kind = 'provider' AND x.tenant_id = p.id
    AND x.first_permission = 'support.request' AND x.second_permission = 'support.enforce')
AND NOT EXISTS (SELECT 1 FROM operators o
    WHERE o.provider_id = p.id
    AND EXISTS (SELECT 1 FROM operator_role_assignments a JOIN role_permissions rp ON rp.role_id = a.role_id
        WHERE a.user_id = o.id AND rp.permission = 'support.request')
    AND EXISTS (SELECT 1 FROM operator_role_assignments a JOIN role_permissions rp ON rp.role_id = a.role_id
        WHERE a.user_id = o.id AND rp.permission = 'support.enforce'));
