-- Example users for docker/compose.pgsql.yaml, written the way daloRADIUS writes them.
INSERT INTO radcheck (username, attribute, op, value) VALUES ('user01', 'Cleartext-Password', ':=', 'secret');
INSERT INTO radreply (username, attribute, op, value) VALUES ('user01', 'SRead', '=', 'all,'), ('user01', 'SWrite', '=', 'all,');
INSERT INTO radusergroup (username, groupname, priority) VALUES ('user01', 'viewers', 1);
INSERT INTO radgroupreply (groupname, attribute, op, value) VALUES ('viewers', 'GRead', '=', 'all');
