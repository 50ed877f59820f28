//! The one authorization policy: every mutating route asks [`authorize`] whether the
//! signed-in user may do an [`Action`], and nothing else decides.
//!
//! Roles: a member belongs to one city and creates and edits their own projects there;
//! a city editor edits all projects of their city and decides its membership requests;
//! a moderator keeps the forum clean (forum issue); an admin manages roles, e-mail
//! domains and the audit log, and may act for any city. Pool leads are per pool (pools
//! issue). Nobody changes their own roles.

use super::session::{SessionUser, Visitor};
use crate::error::{AppError, AppResult};

crate::slug_enum! {
    /// A user's role in their city.
    pub enum CityRole ("city role", "invalid_city_role") {
        Member = "member",
        Editor = "editor",
    }
}

crate::slug_enum! {
    /// A user's role on the whole site.
    #[derive(Default)]
    pub enum SiteRole ("site role", "invalid_site_role") {
        #[default]
        None = "none",
        Moderator = "moderator",
        Admin = "admin",
    }
}

/// Something a user wants to do, with the facts the decision depends on.
#[derive(Clone, Copy, Debug)]
pub enum Action {
    /// Create a project for `city_id`.
    CreateProject { city_id: i32 },
    /// Edit a project of `city_id`, created on the platform by `created_by` (if anyone).
    EditProject {
        city_id: i32,
        created_by: Option<i32>,
    },
    /// Approve or reject a request to join `city_id`, or see those requests.
    DecideMembership { city_id: i32 },
    /// Change another user's city or roles.
    ManageUser { user_id: i32 },
    /// Map e-mail domains to cities.
    ManageDomains,
    /// Read the audit log and the outbox.
    ReadAuditLog,
    /// Manage one's own account: password, address, sessions, data, membership
    /// requests. The handlers only ever touch the signed-in user's own rows.
    ManageOwnAccount,
    /// Start a discussion, reply, flag a post, follow things: anyone signed in.
    TakePart,
    /// Say whether a suggested comparable pilot is comparable: members of a city (the
    /// civil servants whose judgement the matchmaking learns from).
    JudgeSuggestion,
    /// Edit or delete a post written by `author_id`: its author only.
    ChangePost { author_id: Option<i32> },
    /// Mark a reply as the answer of a thread started by `thread_author_id`.
    MarkAnswer { thread_author_id: Option<i32> },
    /// Hide and show posts, lock and move threads, handle flags.
    Moderate,
    /// Create expertise pools and appoint their leads.
    ManagePools,
    /// Post or edit a toolkit of a pool the user leads (`leads_pool`, looked up by the
    /// caller).
    WriteToolkit { leads_pool: bool },
    /// Record what `city_id` does with a toolkit: that city's own members only.
    RecordAdoption { city_id: i32 },
    /// Confirm or reject which solutions a project of `city_id` is: its editors.
    DecideSolutions { city_id: i32 },
}

impl SessionUser {
    pub fn is_admin(&self) -> bool {
        self.site_role == SiteRole::Admin
    }

    fn in_city(&self, city_id: i32) -> bool {
        self.city_id == Some(city_id)
    }

    /// Moderators and administrators keep the forum clean.
    pub fn moderates(&self) -> bool {
        matches!(self.site_role, SiteRole::Moderator | SiteRole::Admin)
    }

    fn edits_city(&self, city_id: i32) -> bool {
        self.in_city(city_id) && self.city_role == Some(CityRole::Editor)
    }

    /// The policy itself.
    pub fn may(&self, action: Action) -> bool {
        if let Action::ManageUser { user_id } = action {
            // Not even an admin changes their own roles: no self-promotion, and the last
            // admin cannot lock everyone out by accident.
            return self.is_admin() && user_id != self.id;
        }
        if let Action::ChangePost { author_id } = action {
            // Words are their author's: nobody else edits them, administrators neither
            // (moderators hide what breaks the rules).
            return author_id == Some(self.id);
        }
        if let Action::RecordAdoption { city_id } = action {
            // A city says itself that it uses a toolkit; a claim made for it by others
            // (even the programme office) is what the G40 would not believe.
            return self.in_city(city_id);
        }
        if self.is_admin() || matches!(action, Action::ManageOwnAccount) {
            return true;
        }
        match action {
            Action::CreateProject { city_id } => self.in_city(city_id),
            Action::EditProject {
                city_id,
                created_by,
            } => self.edits_city(city_id) || (self.in_city(city_id) && created_by == Some(self.id)),
            Action::DecideMembership { city_id } | Action::DecideSolutions { city_id } => {
                self.edits_city(city_id)
            }
            Action::TakePart => true,
            Action::JudgeSuggestion => self.city_id.is_some(),
            Action::MarkAnswer { thread_author_id } => {
                thread_author_id == Some(self.id) || self.moderates()
            }
            Action::Moderate => self.moderates(),
            Action::WriteToolkit { leads_pool } => leads_pool,
            Action::ChangePost { .. }
            | Action::RecordAdoption { .. }
            | Action::ManagePools
            | Action::ManageUser { .. }
            | Action::ManageDomains
            | Action::ReadAuditLog
            | Action::ManageOwnAccount => false,
        }
    }
}

/// The signed-in user if they may do `action`: 401 for a visitor who is not signed in,
/// 403 for a user who may not.
pub fn authorize(visitor: &Visitor, action: Action) -> AppResult<&SessionUser> {
    let user = visitor.user.as_ref().ok_or(AppError::Unauthenticated)?;
    if user.may(action) {
        Ok(user)
    } else if user.city_id.is_none() && needs_a_city(action) {
        Err(AppError::forbidden_without_city(refusal(action)))
    } else {
        Err(AppError::forbidden(refusal(action)))
    }
}

/// Actions a member of the right city may do: refused to someone of no city, they are
/// what joining one is for, so the error page offers the membership form.
fn needs_a_city(action: Action) -> bool {
    matches!(
        action,
        Action::CreateProject { .. }
            | Action::EditProject { .. }
            | Action::JudgeSuggestion
            | Action::RecordAdoption { .. }
    )
}

fn refusal(action: Action) -> &'static str {
    match action {
        Action::CreateProject { .. } => "only members of this city may add its projects",
        Action::EditProject { .. } => {
            "only this city's editors and the project's own author may edit it"
        }
        Action::DecideMembership { .. } => "only this city's editors may decide its members",
        Action::ManageUser { .. } => "only an administrator may change roles, and never their own",
        Action::ManageDomains | Action::ReadAuditLog => "only administrators may do this",
        Action::ManageOwnAccount => "sign in to manage your account",
        Action::TakePart => "sign in to take part",
        Action::JudgeSuggestion => {
            "only members of a city judge suggestions; ask to join your city first"
        }
        Action::ChangePost { .. } => "only its author may change a post",
        Action::MarkAnswer { .. } => {
            "only the one who started the discussion or a moderator may mark the answer"
        }
        Action::Moderate => "only moderators may do this",
        Action::ManagePools => "only administrators create pools and appoint their leads",
        Action::WriteToolkit { .. } => {
            "only this pool's leads and administrators write its toolkits"
        }
        Action::RecordAdoption { .. } => "only members of this city record what it uses",
        Action::DecideSolutions { .. } => {
            "only this city's editors decide which solutions its projects are"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: i32, city: Option<(i32, CityRole)>, site_role: SiteRole) -> SessionUser {
        SessionUser {
            id,
            session_id: 1,
            email: format!("u{id}@example.nl"),
            name: format!("U{id}"),
            city_id: city.map(|c| c.0),
            city_role: city.map(|c| c.1),
            city_slug: None,
            site_role,
            created_at: chrono::Utc::now().naive_utc(),
            unread: 0,
        }
    }

    #[test]
    fn members_edit_only_their_own_projects_of_their_own_city() {
        let member = user(1, Some((7, CityRole::Member)), SiteRole::None);
        assert!(member.may(Action::CreateProject { city_id: 7 }));
        assert!(!member.may(Action::CreateProject { city_id: 8 }));
        let own = Action::EditProject {
            city_id: 7,
            created_by: Some(1),
        };
        assert!(member.may(own));
        for other in [
            Action::EditProject {
                city_id: 7,
                created_by: Some(2),
            },
            Action::EditProject {
                city_id: 7,
                created_by: None,
            },
            Action::EditProject {
                city_id: 8,
                created_by: Some(1),
            },
        ] {
            assert!(!member.may(other), "{other:?}");
        }
        assert!(!member.may(Action::DecideMembership { city_id: 7 }));
    }

    #[test]
    fn editors_rule_their_own_city_only() {
        let editor = user(1, Some((7, CityRole::Editor)), SiteRole::None);
        assert!(editor.may(Action::EditProject {
            city_id: 7,
            created_by: None
        }));
        assert!(editor.may(Action::DecideMembership { city_id: 7 }));
        assert!(!editor.may(Action::EditProject {
            city_id: 8,
            created_by: None
        }));
        assert!(!editor.may(Action::DecideMembership { city_id: 8 }));
        assert!(!editor.may(Action::ManageUser { user_id: 2 }));
    }

    #[test]
    fn only_authors_change_posts_and_only_moderators_moderate() {
        let author = user(1, Some((7, CityRole::Member)), SiteRole::None);
        let admin = user(2, None, SiteRole::Admin);
        let moderator = user(3, None, SiteRole::Moderator);
        let own = Action::ChangePost { author_id: Some(1) };
        assert!(author.may(own));
        assert!(
            !admin.may(own) && !moderator.may(own),
            "not even an administrator"
        );
        assert!(!author.may(Action::ChangePost { author_id: None }));
        assert!(moderator.may(Action::Moderate) && admin.may(Action::Moderate));
        assert!(!author.may(Action::Moderate));
        let answer = Action::MarkAnswer {
            thread_author_id: Some(1),
        };
        assert!(author.may(answer) && moderator.may(answer));
        assert!(!user(4, None, SiteRole::None).may(answer));
    }

    #[test]
    fn leads_write_toolkits_and_only_a_citys_members_record_its_adoption() {
        let lead = user(1, Some((7, CityRole::Member)), SiteRole::None);
        assert!(lead.may(Action::WriteToolkit { leads_pool: true }));
        assert!(!lead.may(Action::WriteToolkit { leads_pool: false }));
        let admin = user(2, None, SiteRole::Admin);
        assert!(admin.may(Action::WriteToolkit { leads_pool: false }));
        assert!(admin.may(Action::ManagePools) && !lead.may(Action::ManagePools));
        assert!(lead.may(Action::RecordAdoption { city_id: 7 }));
        assert!(!lead.may(Action::RecordAdoption { city_id: 8 }));
        assert!(
            !admin.may(Action::RecordAdoption { city_id: 7 }),
            "not even for the office"
        );
    }

    #[test]
    fn members_of_a_city_judge_suggestions_and_people_without_one_do_not() {
        let member = user(1, Some((7, CityRole::Member)), SiteRole::None);
        assert!(member.may(Action::JudgeSuggestion));
        assert!(!user(2, None, SiteRole::None).may(Action::JudgeSuggestion));
        assert!(!user(3, None, SiteRole::Moderator).may(Action::JudgeSuggestion));
        assert!(user(4, None, SiteRole::Admin).may(Action::JudgeSuggestion));
    }

    #[test]
    fn admins_manage_others_but_never_themselves() {
        let admin = user(1, None, SiteRole::Admin);
        assert!(admin.may(Action::ManageUser { user_id: 2 }));
        assert!(!admin.may(Action::ManageUser { user_id: 1 }));
        assert!(admin.may(Action::ManageDomains));
        let moderator = user(2, None, SiteRole::Moderator);
        assert!(!moderator.may(Action::ManageDomains));
        assert!(!moderator.may(Action::ManageUser { user_id: 3 }));
    }
}
