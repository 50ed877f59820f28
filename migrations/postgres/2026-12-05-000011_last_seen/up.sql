-- When the person last used the site signed in, kept on the account itself: sessions end
-- at sign-out and expiry, and someone who always signs out must not look inactive (the
-- digest of the inactive is monthly).
ALTER TABLE users ADD COLUMN last_seen_at TIMESTAMP;
UPDATE users SET last_seen_at = (SELECT MAX(s.last_seen_at) FROM sessions s WHERE s.user_id = users.id);
