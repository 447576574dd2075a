with source_pupil_returns as (
    select * from {{ source('pipeline', 'raw_pupil_returns') }}
)

select
    submission_id,
    row_number as sheet_row,
    pupil_ref,
    year_group,
    sen_status,
    primary_need,
    identified_date,
    parents_informed_date,
    outcomes_agreed,
    pupil_views_recorded,
    last_review_due,
    last_review_held,
    next_review_due,
    reviews_last_12m,
    parent_meetings_last_12m,
    specialist_involved,
    specialist_agreed_with_parents,
    provision_cost_gbp,
    part_time_timetable,
    ehc_request_date,
    ehc_requested_by,
    ehc_request_outcome,
    file_name,
    sha256,
    received_at,
    loaded_at,
    run_id
from source_pupil_returns
