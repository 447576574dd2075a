with source_enquiry_themes as (
    select * from {{ ref('enquiry_themes') }}
)

select
    cast(theme as varchar) as theme,
    cast(theme_label as varchar) as theme_label
from source_enquiry_themes
