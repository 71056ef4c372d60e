use std::path::{Path, PathBuf};

use super::*;
use super::{errors::*, profiles::*};

#[tokio::test]
async fn paginate_follows_every_page_in_order() {
    let pages = [
        (vec![1, 2], Some("a")),
        (vec![3], Some("b")),
        (vec![4, 5], None),
    ];
    let mut calls = Vec::new();
    let out = paginate("Test", |token: Option<String>| {
        calls.push(token.clone());
        let i = match token.as_deref() {
            None => 0,
            Some("a") => 1,
            Some("b") => 2,
            other => panic!("unexpected token {other:?}"),
        };
        let (items, next) = pages[i].clone();
        async move { Ok((items, next.map(String::from))) }
    })
    .await
    .unwrap();
    assert_eq!(out, vec![1, 2, 3, 4, 5]);
    assert_eq!(calls, vec![None, Some("a".into()), Some("b".into())]);
}

#[tokio::test]
async fn a_repeated_token_is_an_error_not_a_loop() {
    let err = paginate("DescribeThings", |_t: Option<String>| async {
        Ok((vec![1], Some("same".to_string())))
    })
    .await
    .unwrap_err();
    assert!(err.to_string().contains("DescribeThings"), "{err}");
}

fn expired(call: &str) -> anyhow::Error {
    anyhow::Error::new(CallError {
        call: call.into(),
        code: "InvalidPaginationToken".into(),
        message: "The pagination token is not valid or is expired.".into(),
        hint: String::new(),
    })
}

#[tokio::test]
async fn an_expired_token_starts_the_listing_over_without_duplicates() {
    let mut calls = Vec::new();
    let mut expired_once = false;
    let out = paginate("DescribeThings", |token: Option<String>| {
        calls.push(token.clone());
        let page = match token.as_deref() {
            None => Ok((vec![1, 2], Some("a".to_string()))),
            Some("a") if !expired_once => {
                expired_once = true;
                Err(expired("DescribeThings"))
            }
            Some("a") => Ok((vec![3], None)),
            other => panic!("unexpected token {other:?}"),
        };
        async move { page }
    })
    .await
    .unwrap();
    assert_eq!(out, vec![1, 2, 3]);
    assert_eq!(calls, vec![None, Some("a".into()), None, Some("a".into())]);
}

#[tokio::test]
async fn a_token_that_keeps_expiring_is_an_error_after_the_restarts() {
    let mut calls = 0;
    let err = paginate("DescribeThings", |token: Option<String>| {
        calls += 1;
        let page = match token {
            None => Ok((vec![1], Some("a".to_string()))),
            Some(_) => Err(expired("DescribeThings")),
        };
        async move { page }
    })
    .await
    .unwrap_err();
    assert!(is_expired_token(&err), "{err}");
    assert_eq!(calls, 2 * (TOKEN_RESTARTS as usize + 1));
}

#[tokio::test]
async fn other_errors_are_not_retried_by_the_paginator() {
    let mut calls = 0;
    let err = paginate("DescribeThings", |token: Option<String>| {
        calls += 1;
        let page = match token {
            None => Ok((vec![1], Some("a".to_string()))),
            Some(_) => Err(anyhow::Error::new(CallError {
                call: "ec2:DescribeThings".into(),
                code: "UnauthorizedOperation".into(),
                message: "You are not authorized".into(),
                hint: hint("UnauthorizedOperation", "ec2:DescribeThings"),
            })),
        };
        async move { page }
    })
    .await
    .unwrap_err();
    assert_eq!(calls, 2);
    assert!(!is_expired_token(&err));
    assert!(
        err.to_string()
            .contains("the caller needs ec2:DescribeThings"),
        "{err}"
    );
}

#[test]
fn expired_tokens_are_told_from_other_bad_parameters() {
    let e = |code: &str, message: &str| CallError {
        call: String::new(),
        code: code.into(),
        message: message.into(),
        hint: String::new(),
    };
    assert!(
        e(
            "InvalidParameterException",
            "The specified nextToken is invalid."
        )
        .is_expired_token()
    );
    assert!(
        e(
            "InvalidArgument",
            "The continuation token provided is incorrect"
        )
        .is_expired_token()
    );
    assert!(
        !e(
            "InvalidParameterException",
            "1 validation error: logGroupName"
        )
        .is_expired_token()
    );
    assert!(
        !e(
            "InvalidClientTokenId",
            "The security token included in the request is invalid"
        )
        .is_expired_token()
    );
    assert!(!e("ThrottlingException", "Rate exceeded").is_expired_token());
}

#[test]
fn profile_sections_follow_the_sdk_rules() {
    let config = "# c\n[default]\nregion = eu-west-1\n[profile dev]\nsso_session = corp\n\
                  [sso-session corp]\nsso_start_url = https://x\n[services s]\n[stray]\n\
                  [profile  prod ] ; comment\nrole_arn=arn\n";
    let names: Vec<String> = profile_sections(config, true)
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(names, ["default", "dev", "prod"]);
    let dev = profile_sections(config, true)
        .into_iter()
        .find(|s| s.name == "dev")
        .unwrap();
    assert_eq!(dev.keys, ["sso_session"]);
    let creds = "[ci]\naws_access_key_id = x\n[profile odd]\n";
    let names: Vec<String> = profile_sections(creds, false)
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(names, ["ci"]);
}

#[test]
fn a_home_relative_path_is_expanded() {
    assert_eq!(
        expand_home(Path::new("~/aws/config"), Some(Path::new("/h"))),
        PathBuf::from("/h/aws/config")
    );
    assert_eq!(
        expand_home(Path::new("/etc/aws"), Some(Path::new("/h"))),
        PathBuf::from("/etc/aws")
    );
}

#[test]
fn hints_say_what_to_check() {
    assert!(hint("no credentials", "x").contains("--inventory FILE"));
    assert!(
        hint("UnauthorizedOperation", "ec2:DescribeNetworkInterfaces")
            .contains("ec2:DescribeNetworkInterfaces")
    );
    assert!(hint("ExpiredToken", "x").contains("credentials"));
    assert!(hint("ResourceNotFoundException", "x").contains("region"));
    assert!(hint("ThrottlingException", "x").contains("AWS_MAX_ATTEMPTS"));
    assert!(hint("InternalError", "x").contains("--concurrency"));
}
