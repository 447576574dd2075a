-- One row per SENDIASS enquiry, with the school's phase and locality and the
-- collected term it fell in (by the terms' dates), so patterns can be set beside
-- duty flags.
with enquiries as (
    select * from {{ ref('stg_pipeline__enquiries') }}
),

schools as (
    select * from {{ ref('dim_school') }}
),

terms as (
    select * from {{ ref('dim_term') }}
),

latest_enquiries as (
    -- a month's file sent again (corrected) replaces the earlier rows of that month
    select *
    from enquiries
    qualify row_number() over (partition by enquiry_ref order by received_at desc) = 1
)

select
    latest_enquiries.enquiry_ref,
    latest_enquiries.received_date,
    latest_enquiries.urn,
    schools.school_name,
    schools.phase,
    schools.locality,
    latest_enquiries.theme,
    latest_enquiries.is_complaint,
    latest_enquiries.closed_date,
    terms.academic_year,
    terms.term
from latest_enquiries
left join schools
    on latest_enquiries.urn = schools.urn
left join terms
    on latest_enquiries.received_date between terms.starts_on and terms.ends_on
