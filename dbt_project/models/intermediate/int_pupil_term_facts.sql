-- One row per pupil in each return in force: what the checks count, judged
-- against the return's census date (duties-v1).
with school_terms as (
    select * from {{ ref('int_school_terms') }}
),

pupils as (
    select * from {{ ref('stg_pipeline__pupil_returns') }}
),

pupils_at_census as (
    select
        pupils.*,
        school_terms.urn,
        school_terms.academic_year,
        school_terms.term,
        school_terms.census_date
    from pupils
    inner join school_terms
        on pupils.submission_id = school_terms.submission_in_force
)

select
    urn,
    academic_year,
    term,
    pupil_ref,
    sen_status,
    sen_status = 'K' as is_sen_support,
    primary_need,
    coalesce(parents_informed_date <= census_date, false) as parents_were_informed,
    outcomes_agreed = 'Y' and next_review_due is not null as support_is_planned,
    coalesce(last_review_due <= census_date, false) as review_was_due,
    coalesce(
        last_review_held <= last_review_due + to_days({{ var('review_grace_days') }}), false
    )
        as review_was_on_time,
    identified_date <= census_date - interval 12 month as on_register_a_year,
    parent_meetings_last_12m >= {{ var('parent_meetings_a_year') }} as met_parents_three_times,
    pupil_views_recorded = 'Y' as views_were_recorded,
    specialist_involved is not null as has_specialist,
    -- the specialists named, one code each (the return separates them with ;)
    list_transform(string_split(specialist_involved, ';'), lambda code: trim(code)) as specialists,
    coalesce(specialist_agreed_with_parents = 'Y', false) as specialist_was_agreed,
    part_time_timetable = 'Y' as is_part_time,
    provision_cost_gbp,
    coalesce(provision_cost_gbp > {{ var('high_cost_gbp') }}, false) as is_high_cost,
    ehc_request_date is not null as has_ehc_request,
    coalesce(
        ehc_request_date > census_date - interval 12 month and ehc_request_date <= census_date,
        false
    ) as ehc_requested_in_last_year,
    ehc_requested_by,
    ehc_request_date,
    ehc_request_outcome
from pupils_at_census
