//! The services in the bundled core's files: the core's own, grown to their SDK size, and the
//! ones the SDK has in those files besides.

use super::{LIFE, Svc, svc};

/// Services in the bundled core's files: the core's own, grown to their SDK size, and the ones
/// the SDK has in those files besides.
pub(crate) const CORE_FILE_SERVICES: &[(&str, Svc)] = &[
    (
        "apichangemanager.proto",
        svc("ApiChangeManagerService", "ApiChangeManager", 8, &[]),
    ),
    (
        "apidbmaterialmanager.proto",
        svc(
            "ApiDBMaterialManagerService",
            "ApiDBMaterialManager",
            5,
            &[],
        ),
    ),
    (
        "apidbmaterialmanager.proto",
        svc(
            "ApiDBMaterialManager_DBCategoryArrayService",
            "ApiDBMaterialManager.ApiDBMaterialManager_DBCategoryArray",
            4,
            &[],
        ),
    ),
    (
        "apidbmaterialmanager.proto",
        svc(
            "ApiDBMaterialManager_DBMaterialArrayService",
            "ApiDBMaterialManager.ApiDBMaterialManager_DBMaterialArray",
            4,
            &[],
        ),
    ),
    ("apiinfo.proto", svc("ApiInfoService", "ApiInfo", 49, &[])),
    (
        "apilocaldb.proto",
        svc("ApiLocalDBService", "ApiLocalDB", 5, &[]),
    ),
    (
        "apilocaldb.proto",
        svc(
            "ApiLocalDB_CategoryService",
            "ApiLocalDB.ApiLocalDB_Category",
            14,
            &[],
        ),
    ),
    (
        "apilocaldb.proto",
        svc(
            "ApiLocalDB_PackageService",
            "ApiLocalDB.ApiLocalDB_Package",
            6,
            &[],
        ),
    ),
    (
        "apinodepininfohelper.proto",
        svc("ApiNodePinInfoExService", "ApiNodePinInfoEx", 5, &[]),
    ),
    // The item array uses the plain names ...
    (
        "apinodesystem_1.proto",
        svc(
            "ApiItemArrayService",
            "ApiItemArray",
            6,
            &["items", "begin1", "end1", "init"],
        ),
    ),
    (
        "apinodesystem_3.proto",
        svc("ApiItemService", "ApiItem", 88, &[]),
    ),
    // ... so the node array, from the same C++ header, got the overload suffix `1` (Q2).
    (
        "apinodesystem_5.proto",
        svc(
            "ApiNodeArrayService",
            "ApiNodeArray",
            6,
            &["items1=items", "begin11=begin1", "end11=end1", "init1=init"],
        ),
    ),
    (
        "apinodesystem_6.proto",
        svc("ApiNodeGraphService", "ApiNodeGraph", 27, &[]),
    ),
    (
        "apinodesystem_7.proto",
        svc("ApiNodeService", "ApiNode", 71, &["type", "destroy"]),
    ),
    (
        "apiprojectmanager.proto",
        svc("ApiProjectManagerService", "ApiProjectManager", 18, &[]),
    ),
    (
        "apirendercloudmanager.proto",
        svc(
            "ApiRenderCloudManagerService",
            "ApiRenderCloudManager",
            4,
            &[],
        ),
    ),
    (
        "apirender.proto",
        svc(
            "ApiRenderEngineService",
            "ApiRenderEngine",
            126,
            &["toString"],
        ),
    ),
    (
        "apirender.proto",
        svc("ApiRenderImageService", "ApiRenderImage", 8, &["isEmpty"]),
    ),
    (
        "octaneinfos.proto",
        svc("ApiAttributeInfoService", "ApiAttributeInfo", 1, &[]),
    ),
    (
        "octaneinfos.proto",
        svc(
            "ApiCompatibilityModeInfoService",
            "ApiCompatibilityModeInfo",
            5,
            &[],
        ),
    ),
    (
        "octaneinfos.proto",
        svc(
            "ApiCompatibilityModeInfoSetService",
            "ApiCompatibilityModeInfoSet",
            6,
            LIFE,
        ),
    ),
    (
        "octaneinfos.proto",
        svc("ApiNodePinInfoService", "ApiNodePinInfo", 1, &[]),
    ),
    (
        "octaneinfos.proto",
        svc(
            "ApiTextureNodeTypeInfoService",
            "ApiTextureNodeTypeInfo",
            4,
            LIFE,
        ),
    ),
    (
        "octaneinfos.proto",
        svc(
            "ApiTexturePinTypeInfoService",
            "ApiTexturePinTypeInfo",
            3,
            &[],
        ),
    ),
    (
        "octaneinfos.proto",
        svc(
            "ApiTextureValueTypeSetService",
            "ApiTextureValueTypeSet",
            5,
            LIFE,
        ),
    ),
    (
        "octanerenderpasses.proto",
        svc(
            "RenderResultStatisticsService",
            "RenderResultStatistics",
            4,
            &[],
        ),
    ),
    (
        "octanetime.proto",
        svc("FrameRangeTService", "FrameRangeT", 3, &["make"]),
    ),
    (
        "octanetime.proto",
        svc("TimeSpanTService", "TimeSpanT", 4, &["make1=make"]),
    ),
];
