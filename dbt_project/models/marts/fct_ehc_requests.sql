-- One row per term an EHC needs assessment was requested in and how the requests
-- ended, per term and who requested them, and per term in all: requests counted
-- once each (a pupil's request is in every later return too), with the outcome the
-- newest return gives. Only requests made within
-- the terms collected: earlier ones would count a part of a year. Outside the LA
-- small counts are withheld (c), with the next smallest of the same kind where one
-- alone would be (each term's total is published beside them).
with pupils as (
    select * from {{ ref('int_pupil_term_facts') }}
),

terms as (
    select * from {{ ref('dim_term') }}
),

requests_as_returned as (
    -- each request as each return in force gives it, newest return first
    select
        pupils.urn,
        pupils.pupil_ref,
        pupils.ehc_request_date,
        pupils.ehc_requested_by,
        coalesce(pupils.ehc_request_outcome, 'pending') as outcome,
        row_number() over (
            partition by pupils.urn, pupils.pupil_ref, pupils.ehc_request_date
            order by returned_in.term_order desc
        ) as newest_first
    from pupils
    inner join terms as returned_in
        on pupils.academic_year = returned_in.academic_year and pupils.term = returned_in.term
    where pupils.ehc_request_date is not null
),

requests as (
    select
        requested_in.academic_year,
        requested_in.term,
        requested_in.term_order,
        requests_as_returned.outcome,
        coalesce(requests_as_returned.ehc_requested_by, 'not_recorded') as requested_by
    from requests_as_returned
    inner join terms as requested_in
        on
            requests_as_returned.ehc_request_date
            between requested_in.starts_on and requested_in.ends_on
    where requests_as_returned.newest_first = 1
),

requests_by_outcome as (
    select
        academic_year,
        term,
        term_order,
        'all' as requested_by,
        outcome,
        'outcome' as margin,
        false as is_term_total,
        count(*) as requests
    from requests
    group by academic_year, term, term_order, outcome
),

requests_by_requester as (
    select
        academic_year,
        term,
        term_order,
        requested_by,
        'all' as outcome,
        'requested_by' as margin,
        false as is_term_total,
        count(*) as requests
    from requests
    group by academic_year, term, term_order, requested_by
),

term_totals as (
    select
        academic_year,
        term,
        term_order,
        'all' as requested_by,
        'all' as outcome,
        'total' as margin,
        true as is_term_total,
        count(*) as requests
    from requests
    group by academic_year, term, term_order
),

requests_by_term as (
    select * from requests_by_outcome
    union all
    select * from requests_by_requester
    union all
    select * from term_totals
)

select
    academic_year,
    term,
    term_order,
    requested_by,
    outcome,
    is_term_total,
    requests,
    {{ as_published(
        'requests', "''",
        is_withheld_in_total(
            'requests', ['academic_year', 'term', 'margin'], 'is_term_total',
            ['requested_by', 'outcome']
        )
    ) }} as published_requests
from requests_by_term
